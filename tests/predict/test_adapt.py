"""`ferbench predict --adapt`: every photo read first, the model's networks adapted to all
their faces, a classical member left as trained, and too few faces refused by name."""

import numpy as np
import pandas as pd
import pytest
from PIL import Image

from ferbench.cli import main
from ferbench.predict.prediction import ADAPT_MIN_FACES


@pytest.fixture(scope="module")
def network_run(tmp_path_factory, run_args):
    """A tiny cnn and a HOG svm, both trained on toy-a."""
    tmp_path = tmp_path_factory.mktemp("adapt")
    args = run_args(tmp_path, "--methods", "cnn,svm", "--protocol", "within",
                    "--set", "cnn.epochs=1", "--set", "cnn.width=4", "--set", "svm.features=hog")
    args[args.index("toy-a,toy-b")] = "toy-a"
    assert main(args) == 0
    return tmp_path / "runs" / "r"


def crops(folder, count):
    """``count`` dim, low-contrast 48-px images, unlike any training face."""
    folder.mkdir()
    rng = np.random.default_rng(0)
    for index in range(count):
        pixels = rng.integers(20, 80, (48, 48), dtype=np.uint8)
        Image.fromarray(pixels).save(folder / f"crop{index:02d}.png")
    return folder


def predicted(run, folder, tmp_path, method, *extra):
    csv = tmp_path / f"{method}{'-'.join(extra)}.csv"
    code = main(["predict", str(folder), "--run", str(run), "--method", method, "--faces",
                 "whole", "--csv", str(csv), *extra])
    assert code == 0
    return pd.read_csv(csv)


def test_networks_adapt_to_the_photos_and_a_classical_member_stays(network_run, tmp_path,
                                                                   capsys):
    folder = crops(tmp_path / "crops", 24)
    capsys.readouterr()
    adapted = predicted(network_run, folder, tmp_path, "cnn+svm", "--adapt")
    said = capsys.readouterr().err
    assert "adapted to 24 face(s) of 24 photo(s): cnn; as trained (nothing to adapt): svm" in said
    assert adapted["path"].tolist() == sorted(str(p) for p in folder.glob("*.png"))
    trained = predicted(network_run, folder, tmp_path, "cnn+svm")
    assert not np.allclose(adapted[["anger", "happiness"]], trained[["anger", "happiness"]])
    svm = predicted(network_run, folder, tmp_path, "svm")
    svm_adapted = predicted(network_run, folder, tmp_path, "svm", "--adapt")
    assert "adapted to 24 face(s) of 24 photo(s): no member" in capsys.readouterr().err
    pd.testing.assert_frame_equal(svm, svm_adapted)


def test_too_few_faces_to_adapt_to_is_an_error_naming_the_minimum(network_run, tmp_path,
                                                                  capsys):
    folder = crops(tmp_path / "few", 5)
    code = main(["predict", str(folder), "--run", str(network_run), "--method", "cnn",
                 "--faces", "whole", "--adapt"])
    assert code != 0
    said = capsys.readouterr().err
    assert f"--adapt needs at least {ADAPT_MIN_FACES} face views" in said
    assert "5 photo(s) gave 5" in said
