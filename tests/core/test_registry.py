import textwrap

import pytest

from ferbench.cli import main
from ferbench.core.errors import PluginError, UnknownNameError
from ferbench.core.registry import METHODS, load_plugin_path


def write_plugin(path, body):
    path.write_text(textwrap.dedent(body))
    return path


def test_builtin_methods_are_registered():
    from ferbench import list_methods

    assert {"svm", "knn", "rf", "xgboost"} <= set(list_methods())


def test_user_plugin_shows_up_in_list(toy_plugins, capsys):
    assert main(["list", "methods", "--plugins", str(toy_plugins / "nearest_mean.py")]) == 0
    out = capsys.readouterr().out
    assert "nearest-mean" in out and "nearest class mean" in out


def test_duplicate_name_names_both_files(tmp_path):
    first = write_plugin(tmp_path / "first.py", """
        from ferbench import register_method
        @register_method("twin")
        def make(**params):
            return None
    """)
    second = write_plugin(tmp_path / "second.py", """
        from ferbench import register_method
        @register_method("twin")
        def make(**params):
            return None
    """)
    try:
        load_plugin_path(first)
        expected = r"duplicate method name 'twin'.*first\.py.*second\.py"
        with pytest.raises(PluginError, match=expected):
            load_plugin_path(second)
    finally:
        METHODS.unregister("twin")


@pytest.mark.parametrize("revision", [0, 1.5, True])
def test_bad_revision_is_refused_at_registration(revision):
    with pytest.raises(PluginError, match=rf"method 'odd': revision must be an int >= 1.*"
                                          rf"{revision!r}"):
        METHODS.register("odd", revision=revision)


def test_plugin_that_fails_to_import_names_the_file(tmp_path, capsys):
    broken = write_plugin(tmp_path / "broken.py", "import numpy\nraise ImportError('no gpu lib')\n")
    assert main(["list", "methods", "--plugins", str(broken)]) == 2
    err = capsys.readouterr().err
    assert "broken.py" in err and "failed to import" in err and "no gpu lib" in err


def test_plugin_path_that_does_not_exist(tmp_path):
    with pytest.raises(PluginError, match="not a .py file or a folder"):
        load_plugin_path(tmp_path / "nope.py", origin="--plugins")


def test_unknown_name_suggests_close_ones():
    with pytest.raises(UnknownNameError, match="did you mean 'svm'"):
        METHODS.get("svn")


def test_plugins_from_environment_variable(tmp_path, monkeypatch):
    from ferbench.core import registry

    plugin = write_plugin(tmp_path / "env_plugin.py", """
        from ferbench import register_dataset
        @register_dataset("env-dataset", summary="from FERBENCH_PLUGINS")
        def make():
            return None
    """)
    monkeypatch.setenv("FERBENCH_PLUGINS", str(plugin))
    monkeypatch.setattr(registry, "_builtins_loaded", False)
    try:
        registry.load_plugins()
        assert "env-dataset" in registry.DATASETS
    finally:
        registry.DATASETS.unregister("env-dataset")


def test_bad_parameters_name_the_method():
    from ferbench import create_method

    with pytest.raises(ValueError, match="knn: k must be a positive int"):
        create_method("knn", k=0)
    with pytest.raises(ValueError, match="method 'svm': bad parameters"):
        create_method("svm", colour="blue")


def test_method_needing_an_uninstalled_package_names_the_extra(tmp_path, capsys):
    plugin = write_plugin(tmp_path / "needs_gpu_lib.py", """
        from ferbench import register_method
        @register_method("gpu-only", requires=("no_such_module_xyz",), in_default_run=False)
        def make(**params):
            return None
    """)
    try:
        code = main(["run", "--plugins", str(plugin), "--methods", "gpu-only",
                     "--out", str(tmp_path / "run")])
        assert code == 2
        err = capsys.readouterr().err
        assert "'gpu-only' needs no_such_module_xyz" in err and "pip install" in err
        assert main(["list", "methods", "--plugins", str(plugin)]) == 0
        assert "unavailable: needs no_such_module_xyz" in capsys.readouterr().out
    finally:
        METHODS.unregister("gpu-only")
