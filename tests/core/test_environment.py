import os
import subprocess

from ferbench.core.environment import git_commit, hardware, processor


def test_processor_names_the_model_and_its_widest_vector_extension(tmp_path):
    cpuinfo = tmp_path / "cpuinfo"
    block = "processor\t: {}\nmodel name\t: AMD EPYC 7B13\nflags\t\t: fpu sse4_2 avx avx2 fma\n\n"
    cpuinfo.write_text(block.format(0) + block.format(1))
    assert processor(cpuinfo) == "AMD EPYC 7B13 (avx2)"


def test_hardware_without_cpuinfo_still_names_the_cpu_count(tmp_path):
    line = hardware(tmp_path / "absent")
    assert f"{os.cpu_count()} CPUs" in line
    assert line.count(",") >= 3


def test_a_changed_report_does_not_make_the_checkout_dirty_but_changed_code_does(tmp_path):
    def git(*args):
        subprocess.run(["git", "-C", str(tmp_path), *args], check=True, capture_output=True)

    (tmp_path / "reports").mkdir()
    (tmp_path / "reports" / "README.md").write_text("old table\n")
    (tmp_path / "code.py").write_text("x = 1\n")
    git("init", "-q")
    git("add", ".")
    git("-c", "user.name=t", "-c", "user.email=t@t", "commit", "-q", "-m", "first")
    commit = git_commit(tmp_path)
    (tmp_path / "reports" / "README.md").write_text("new table\n")
    assert git_commit(tmp_path) == commit
    (tmp_path / "code.py").write_text("x = 2\n")
    assert git_commit(tmp_path) == f"{commit}+dirty"
