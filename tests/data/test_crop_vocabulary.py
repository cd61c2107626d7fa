"""One crop vocabulary: every crop a dataset or a TOML file may name is known to data/faces."""

from __future__ import annotations

import pytest

from ferbench import DatasetFormatError
from ferbench.data.description import read_description
from ferbench.data.faces import crops


def test_every_crop_has_a_worker_threshold_and_its_own_description():
    assert set(crops.PER_WORKER) == set(crops.CROPS)
    assert set(crops.FILE_CROPS) | set(crops.BOX_CROPS) == set(crops.CROPS)
    assert len({crops.describe(c) for c in crops.CROPS}) == len(crops.CROPS)


@pytest.mark.parametrize("crop", crops.BOX_CROPS)
def test_a_toml_dataset_cannot_ask_for_a_box_crop(tmp_path, crop):
    """TOML datasets have no published boxes: "box"/"align" are refused, naming the choices."""
    (tmp_path / "images").mkdir()
    toml = tmp_path / "mine.toml"
    toml.write_text(f'name = "mine"\nimages = "images"\ncrop = "{crop}"\n')
    with pytest.raises(DatasetFormatError, match="crop") as error:
        read_description(toml)
    assert "'none'" in str(error.value) and "'detect'" in str(error.value)


def test_check_box_crop_names_the_dataset_and_the_choices():
    assert crops.check_box_crop("affectnet", "box") == "box"
    with pytest.raises(ValueError, match="affectnet: crop must be one of align, box"):
        crops.check_box_crop("affectnet", "detect")
