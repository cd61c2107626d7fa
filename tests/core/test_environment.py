import os

from ferbench.core.environment import hardware, processor


def test_processor_names_the_model_and_its_widest_vector_extension(tmp_path):
    cpuinfo = tmp_path / "cpuinfo"
    block = "processor\t: {}\nmodel name\t: AMD EPYC 7B13\nflags\t\t: fpu sse4_2 avx avx2 fma\n\n"
    cpuinfo.write_text(block.format(0) + block.format(1))
    assert processor(cpuinfo) == "AMD EPYC 7B13 (avx2)"


def test_hardware_without_cpuinfo_still_names_the_cpu_count(tmp_path):
    line = hardware(tmp_path / "absent")
    assert f"{os.cpu_count()} CPUs" in line
    assert line.count(",") >= 3
