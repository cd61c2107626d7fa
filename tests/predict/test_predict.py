"""`ferbench predict` and `ferbench.predict`: faces found, aligned and classified in photos."""

import json

import numpy as np
import pandas as pd
import pytest
from PIL import Image, ImageDraw

import ferbench
from ferbench.cli import main
from ferbench.data.faces.photos import EYES_AT, aligned_crop
from ferbench.predict.choice import ModelChoiceError, choose_model
from tests.conftest import TEST_PLUGINS

pytest.importorskip("dlib", reason="face detection needs the landmarks extra (dlib-bin)")


@pytest.fixture
def photo_folder(tmp_path, shared_data, photo_with_face):
    folder = tmp_path / "photos"
    (folder / "nested").mkdir(parents=True)
    photo_with_face(shared_data).save(folder / "face.jpg")
    photo_with_face(shared_data, offset=(20, 150)).convert("L").save(folder / "nested" / "gray.png")
    Image.new("RGB", (300, 200), (128, 128, 128)).save(folder / "blank.png")
    (folder / "broken.jpg").write_bytes(b"\xff\xd8 not really a jpeg")
    (folder / "notes.txt").write_text("not an image, and not listed")
    return folder


def test_predict_reports_every_face_and_every_bad_file(saved_run, photo_folder, tmp_path,
                                                       capsys):
    csv, records = tmp_path / "out.csv", tmp_path / "out.json"
    code = main(["predict", str(photo_folder), "--run", str(saved_run), "--csv", str(csv),
                 "--json", str(records)])
    assert code == 1  # broken.jpg could not be read; the others were still classified
    frame = pd.read_csv(csv)
    by_file = {p.split("/photos/")[1]: rows for p, rows in frame.groupby("path")}
    assert sorted(by_file) == ["blank.png", "broken.jpg", "face.jpg", "nested/gray.png"]
    assert by_file["blank.png"]["error"].tolist() == ["no face found"]
    assert "not an image Pillow can read" in by_file["broken.jpg"]["error"].iloc[0]
    for name in ("face.jpg", "nested/gray.png"):
        face = by_file[name].iloc[0]
        assert pd.isna(face["error"]) and face["face"] == 0 and face["found"] == "detector"
        assert face["label"] in ("anger", "happiness", "sadness", "neutral")
        assert face[["anger", "happiness", "sadness", "neutral"]].sum() == pytest.approx(1.0)
    left, top = by_file["face.jpg"].iloc[0][["left", "top"]]
    assert 80 < left < 160 and 60 < top < 160  # the pasted face starts at (100, 80)
    assert len(json.loads(records.read_text())) == len(frame)
    captured = capsys.readouterr()
    assert "model: svm trained on toy-a" in captured.err or "model: knn" in captured.err
    assert "1 file(s) could not be read" in captured.err
    printed = {line.split()[0].split("/photos/")[-1]: line for line in captured.out.splitlines()
               if "/photos/" in line}
    face = by_file["face.jpg"].iloc[0]
    box = ",".join(str(int(face[side])) for side in ("left", "top", "right", "bottom"))
    assert printed["face.jpg"].split()[1:4] == ["0", "detector", box]
    assert face["label"] in printed["face.jpg"]
    assert "no face found" in printed["blank.png"] and "nan" not in captured.out


def test_a_mistyped_path_is_named_as_missing_not_as_a_bad_image(saved_run, tmp_path):
    csv = tmp_path / "out.csv"
    code = main(["predict", str(tmp_path / "typo.jpg"), "--run", str(saved_run), "--csv",
                 str(csv)])
    assert code == 1
    assert pd.read_csv(csv)["error"].tolist() == [f"{tmp_path / 'typo.jpg'}: no such file"]


def test_python_api_returns_a_dataframe_for_the_method_asked(saved_run, photo_folder):
    frame = ferbench.predict([photo_folder / "face.jpg"], run=saved_run, method="knn",
                             train="toy-a")
    assert list(frame.columns[:8]) == ["path", "face", "found", "left", "top", "right",
                                       "bottom", "label"]
    assert len(frame) == 1 and frame["error"].isna().all()


def test_uniform_prior_is_said_and_refused_for_a_model_without_class_counts(
        saved_run, photo_folder, tmp_path, capsys):
    csv = tmp_path / "out.csv"
    assert main(["predict", str(photo_folder / "face.jpg"), "--run", str(saved_run),
                 "--prior", "uniform", "--csv", str(csv)]) == 0
    assert "uniform prior over the classes" in capsys.readouterr().err
    assert pd.read_csv(csv)["error"].isna().all()
    (tmp_path / "model.toml").write_text("")
    assert main(["predict", str(photo_folder), "--model", str(tmp_path / "model.toml"),
                 "--prior", "uniform"]) == 2
    assert "--prior uniform divides by the training faces' class counts, which only a run's" \
        in capsys.readouterr().err


def test_model_choice_explains_what_the_run_holds(saved_run, tmp_path):
    assert choose_model(saved_run).train == "toy-a"  # the larger training set
    with pytest.raises(ModelChoiceError, match="no saved model for method=cnn.*svm trained on"):
        choose_model(saved_run, method="cnn")
    (tmp_path / "empty").mkdir()
    with pytest.raises(ModelChoiceError, match="holds no saved models"):
        choose_model(tmp_path / "empty")


def test_aligned_crop_levels_the_eyes_where_the_training_faces_have_them():
    """Two dots on a tilted eye line land level, at EYES_AT, in the crop."""
    photo = Image.new("RGB", (400, 400), (0, 0, 0))
    right_eye, left_eye = np.array([150.0, 220.0]), np.array([240.0, 190.0])  # tilted 18°
    draw = ImageDraw.Draw(photo)
    for x, y in (right_eye, left_eye):
        draw.ellipse((x - 4, y - 4, x + 4, y + 4), fill=(255, 255, 255))
    landmarks = np.zeros((68, 2))
    landmarks[36:42], landmarks[42:48] = right_eye, left_eye
    crop = aligned_crop(np.asarray(photo), landmarks)
    side = crop.shape[0]
    bright = np.argwhere(crop[..., 0] > 128)
    halves = [bright[bright[:, 1] < side * EYES_AT[0]], bright[bright[:, 1] >= side * EYES_AT[0]]]
    (row_a, col_a), (row_b, col_b) = (half.mean(axis=0) for half in halves)
    assert abs(row_a - row_b) < 1.5 and abs(row_a - EYES_AT[1] * side) < 1.5
    assert abs((col_a + col_b) / 2 - EYES_AT[0] * side) < 1.5


@pytest.fixture(scope="module")
def explainable_run(tmp_path_factory, run_args):
    """A tiny cnn and a landmark-based svm, both trained on toy-a."""
    tmp_path = tmp_path_factory.mktemp("explain")
    args = run_args(tmp_path, "--methods", "cnn,svm", "--protocol", "within",
                    "--set", "cnn.epochs=1", "--set", "cnn.width=4",
                    "--set", "svm.features=hog+landmarks")
    args[args.index("toy-a,toy-b")] = "toy-a"
    assert main(args) == 0
    return tmp_path / "runs" / "r"


@pytest.mark.parametrize("method", ["cnn", "svm"])
def test_annotate_and_explain_write_one_image_per_photo_and_per_face(
        explainable_run, photo_folder, tmp_path, method):
    annotated, explained = tmp_path / "annotated", tmp_path / "explained"
    assert main(["predict", str(photo_folder / "face.jpg"), str(photo_folder / "nested"),
                 "--run", str(explainable_run), "--method", method,
                 "--annotate", str(annotated), "--explain", str(explained)]) == 0
    assert sorted(p.relative_to(annotated).as_posix() for p in annotated.rglob("*.png")) == \
        ["face.jpg.png", "nested/gray.png.png"]
    assert sorted(p.relative_to(explained).as_posix() for p in explained.rglob("*.png")) == \
        ["face.jpg__face0.png", "nested/gray.png__face0.png"]
    panel = Image.open(explained / "face.jpg__face0.png")
    assert panel.width == (384 if method == "cnn" else 192)  # face + heatmap / landmarks
    photo = np.asarray(Image.open(annotated / "face.jpg.png").convert("RGB"))
    assert (photo == (255, 40, 40)).all(axis=-1).sum() > 100  # the box was drawn


def test_gradcam_gives_one_normalised_heatmap_per_face_and_target(explainable_run, shared_data,
                                                                  photo_with_face):
    from ferbench.predict.explain import gradcam
    from ferbench.predict.saved import load_model

    model = load_model(choose_model(explainable_run, method="cnn").path)
    crop = np.asarray(photo_with_face(shared_data))[80:240, 100:260]
    heatmaps = gradcam(model.method, [crop, crop[:, ::-1]], targets=[0, 1])
    assert heatmaps.shape == (2, 48, 48)
    assert heatmaps.min() >= 0 and np.allclose(heatmaps.max(axis=(1, 2)), 1.0)


def test_network_within_cells_keep_a_gradcam_gallery_that_reports_never_copy_for_real_data(
        explainable_run, tmp_path):
    from ferbench.results.store import ResultStore

    records = [r for r in ResultStore(explainable_run).records() if r["protocol"] == "within"]
    cnn = next(r for r in records if r["method"] == "cnn")
    gallery = Image.open(explainable_run / cnn["gallery"])
    assert gallery.width >= 2 * 96 and gallery.height >= 96 + 18
    assert cnn["gallery_public"] is False  # toy-a is not an embedded dataset
    assert all("gallery" not in r for r in records if r["method"] == "svm")
    assert main(["report", str(explainable_run), "--to", str(tmp_path / "report"),
                 "--plugins", str(TEST_PLUGINS)]) == 0
    page = (tmp_path / "report" / "explanations.md").read_text()
    assert "## cnn on toy-a" in page and "Not copied into the report" in page
    assert not list((tmp_path / "report" / "img").glob("gallery__*"))
    readme = (tmp_path / "report" / "README.md").read_text()
    assert "[Grad-CAM galleries](explanations.md)" in readme


def test_embedded_dataset_gallery_is_drawn_into_the_report(tmp_path):
    assert main(["run", "--methods", "cnn", "--datasets", "synth-fer", "--protocol", "within",
                 "--set", "cnn.epochs=1", "--set", "cnn.width=4", "--no-save-models",
                 "--out", str(tmp_path / "run"), "--reports", str(tmp_path / "reports")]) == 0
    page = (tmp_path / "reports" / "run" / "explanations.md").read_text()
    assert "![cnn Grad-CAM on synth-fer](img/gallery__cnn__synth-fer.png)" in page
    picture = tmp_path / "reports" / "run" / "img" / "gallery__cnn__synth-fer.png"
    assert picture.stat().st_size > 5000
