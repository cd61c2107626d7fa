"""`ferbench predict clip.mp4`: sampled frames, faces followed by box overlap, one row per
face per frame, a timeline per track; on a video generated here."""

import numpy as np
import pandas as pd
import pytest
from PIL import Image

from ferbench.predict.prediction import Outputs, predict_frame
from ferbench.predict.video import Tracker, smoothed

pytest.importorskip("dlib", reason="face detection needs dlib-bin")
imageio_ffmpeg = pytest.importorskip("imageio_ffmpeg", reason="videos need ferbench[video]")

FPS, SECONDS, SIZE = 10, 2, (320, 240)


class Brightness:
    """A stand-in model that sees only how bright a face is: bright "happiness", dark
    "surprise", so a change in the video shows up in the rows exactly when it happens."""

    classes = ["happiness", "surprise"]

    def predict_faces(self, crops):
        bright = np.array([crop.mean() > 85 for crop in crops])
        frame = pd.DataFrame({"happiness": np.where(bright, 0.9, 0.1)})
        frame["surprise"] = 1 - frame["happiness"]
        frame.insert(0, "label", np.where(bright, "happiness", "surprise"))
        return frame


@pytest.fixture
def clip(tmp_path, shared_data):
    """Two real faces drifting right; the left one turns dark halfway through."""
    face_file = sorted((shared_data / "ckplus48" / "CK+48" / "happy").glob("*.png"))[0]
    face = np.asarray(Image.open(face_file).convert("RGB").resize((110, 110),
                                                                  Image.Resampling.BICUBIC))
    path = tmp_path / "clip.mp4"
    writer = imageio_ffmpeg.write_frames(str(path), SIZE, fps=FPS, macro_block_size=16)
    writer.send(None)
    for index in range(FPS * SECONDS):
        frame = np.full((SIZE[1], SIZE[0], 3), 150, np.uint8)
        left = face if index < FPS * SECONDS // 2 else (face * 0.45).astype(np.uint8)
        frame[60:170, 20 + index:130 + index] = left
        frame[60:170, 180 + index:290 + index] = face
        writer.send(np.ascontiguousarray(frame))
    writer.close()
    return path


def test_each_face_of_each_sampled_frame_is_a_row_on_its_own_track(clip, tmp_path):
    timelines = tmp_path / "timelines"
    frame = predict_frame(Brightness(), [clip], fps=5, outputs=Outputs(timeline=timelines))
    assert list(frame.columns[:4]) == ["path", "time", "track", "face"]
    assert frame["error"].isna().all()
    assert sorted(frame["time"].unique()) == pytest.approx([i / 5 for i in range(10)])
    assert frame.groupby("time").size().tolist() == [2] * 10
    tracks = {track: rows for track, rows in frame.groupby("track")}
    assert len(tracks) == 2
    left, right = sorted(tracks.values(), key=lambda rows: rows["left"].mean())
    assert (left["right"] < SIZE[0] / 2 + 20).all() and (right["left"] > SIZE[0] / 2 - 10).all()
    assert left["label"].tolist() == ["happiness"] * 5 + ["surprise"] * 5
    assert right["label"].tolist() == ["happiness"] * 10
    assert sorted(p.name for p in timelines.iterdir()) == \
        ["clip.mp4__track0.png", "clip.mp4__track1.png"]


def test_a_video_that_cannot_be_decoded_is_a_row_with_the_reason(tmp_path):
    broken = tmp_path / "broken.mp4"
    broken.write_bytes(b"not a video")
    frame = predict_frame(Brightness(), [broken])
    assert frame["face"].isna().all() and "not a video ffmpeg can read" in frame["error"][0]


def test_tracks_follow_overlap_and_end_after_a_gap():
    tracker = Tracker()
    assert tracker.assign([(0, 0, 10, 10), (50, 0, 60, 10)], 0.0) == [0, 1]
    assert tracker.assign([(52, 0, 62, 10), (1, 0, 11, 10)], 0.2) == [1, 0]
    assert tracker.assign([(0, 0, 10, 10)], 5.0) == [2]  # track 0 was not seen for too long


def test_smoothing_is_a_centred_moving_average_that_keeps_the_edges():
    values = np.array([[0.0], [0.0], [3.0], [0.0], [0.0]])
    assert smoothed(values, 3)[:, 0].tolist() == pytest.approx([0, 1, 1, 1, 0])
