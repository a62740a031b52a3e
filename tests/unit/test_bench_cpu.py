"""bench.trainer names the CPU beside the MFU: the fp32 peak it divides by doubles with AVX-512."""

from bench.trainer import cpu_description

INTEL = """processor\t: 0
vendor_id\t: GenuineIntel
model name\t: Intel(R) Xeon(R) Processor
flags\t\t: fpu sse2 avx avx2 fma avx512f avx512bw amx_tile

processor\t: 1
model name\t: Intel(R) Xeon(R) Processor
flags\t\t: fpu sse2 avx avx2 fma avx512f avx512bw amx_tile
"""

AMD = """processor\t: 0
model name\t: AMD EPYC 7B13
flags\t\t: fpu sse2 avx avx2 fma
power management:
"""


def test_names_the_cpu_its_count_and_its_widest_vectors():
    assert cpu_description(INTEL, 2) == "Intel(R) Xeon(R) Processor, 2 CPU(s), AVX-512"
    assert cpu_description(AMD, 2) == "AMD EPYC 7B13, 2 CPU(s), AVX2"


def test_an_unreadable_cpuinfo_still_gives_a_line():
    assert cpu_description("", 1) == "unknown CPU, 1 CPU(s), no AVX2"
