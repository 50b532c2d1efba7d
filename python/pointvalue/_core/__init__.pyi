# Stubs of the compiled module pointvalue._core: one submodule per kernel family (each with its own
# <family>.pyi), checked against the compiled module by tests/test_stubs.py with stubtest.

from . import checks as checks
from . import config as config
from . import fwht as fwht
from . import glm as glm
from . import powerlaw as powerlaw
from . import random as random
from . import refit as refit
from . import sampling as sampling
from . import semivalues as semivalues
from . import sketch as sketch


