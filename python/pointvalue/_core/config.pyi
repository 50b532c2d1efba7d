# Stubs of pointvalue._core.config (checked by tests/test_stubs.py with stubtest).

# config family: how this extension module was built
isa_variant: str
has_openmp: bool
eigen_version: str
isa_variants_built: str  # comma-separated
isa_variants_requested: str  # POINTVALUE_ISA_VARIANTS at build time: host, all, or a list

def simd_instruction_sets() -> str: ...
def max_threads() -> int: ...
