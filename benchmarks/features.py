"""How fast are ferbench's HOG and landmark features? Prints images (faces) per second.

HOG: ferbench (all worker threads, and one) against a per-image ``skimage.feature.hog`` loop and a
per-image ``cv2.HOGDescriptor`` loop with equivalent parameters, on generated 48x48 images
(FER2013's size and count). Landmarks: faces per second on 1 and 2 processes, on the real
CK+48 / FER2013 samples of ``../shared/data`` repeated to the requested count when they are
present, else on generated images (where dlib finds no face and takes the whole image).

    python benchmarks/features.py [--images 35887] [--landmark-images 2000]
"""

from __future__ import annotations

import argparse
import os
import time
from collections.abc import Callable
from pathlib import Path

import cv2
import numpy as np
from PIL import Image
from skimage.feature import hog as skimage_hog

from ferbench.features import hog, landmarks, parallel

SHARED_DATA = Path(__file__).resolve().parents[2] / "shared" / "data"
SIDE = 48


def generated_images(count: int, seed: int = 0) -> np.ndarray:
    """Smooth random shading (a 7x7 grid, bilinearly upsampled) plus discs and pixel noise."""
    rng = np.random.default_rng(seed)
    grid = rng.uniform(30, 220, (count, 7, 7))
    upsample = np.clip(np.linspace(0, 6, SIDE)[:, None] - np.arange(7)[None, :], -1, 1)
    weights = 1 - np.abs(upsample)  # (48, 7) bilinear interpolation weights
    images = np.einsum("ri,nij,cj->nrc", weights, grid, weights)
    rows, cols = np.mgrid[0:SIDE, 0:SIDE]
    for _ in range(3):
        centre = rng.uniform(8, 40, (count, 2, 1, 1))
        radius = rng.uniform(3, 10, (count, 1, 1))
        inside = (rows - centre[:, 0]) ** 2 + (cols - centre[:, 1]) ** 2 < radius**2
        images += inside * rng.uniform(-80, 80, (count, 1, 1))
    images += rng.normal(0, 6, images.shape)
    return np.clip(images, 0, 255).astype(np.uint8)


def real_faces(count: int) -> np.ndarray | None:
    """The 48x48 CK+48 and FER2013 samples, repeated to ``count``; None when absent."""
    files = sorted(SHARED_DATA.glob("ckplus48/CK+48/*/*.png"))
    files += sorted(SHARED_DATA.glob("fer2013-folder/*/*/*.jpg"))
    if not files:
        return None
    faces = np.stack([np.asarray(Image.open(file).convert("L")) for file in files])
    return np.resize(faces, (count, SIDE, SIDE))


def rate(count: int, run: Callable[[], object]) -> tuple[float, object]:
    """(items per second, result) of one run."""
    start = time.perf_counter()
    result = run()
    return count / (time.perf_counter() - start), result


def with_jobs(jobs: int | None, run: Callable[[], object]) -> Callable[[], object]:
    """``run`` under FERBENCH_JOBS=jobs (None: the default, all CPUs)."""

    def wrapped() -> object:
        saved = os.environ.pop(parallel.JOBS_ENV, None)
        if jobs is not None:
            os.environ[parallel.JOBS_ENV] = str(jobs)
        try:
            return run()
        finally:
            os.environ.pop(parallel.JOBS_ENV, None)
            if saved is not None:
                os.environ[parallel.JOBS_ENV] = saved

    return wrapped


def opencv_hog() -> object | None:
    """OpenCV's HOG with ferbench's defaults: 9 bins, 8-px cells, 2x2 blocks, L2-Hys 0.2.

    OpenCV always weights a block with a Gaussian and interpolates votes between bins and
    cells; a huge sigma makes the window flat, the interpolation stays, so the vectors are
    close relatives of skimage's, not equal to them. None where cv2 lacks HOGDescriptor
    (OpenCV 5 moved it to opencv-contrib).
    """
    if not hasattr(cv2, "HOGDescriptor"):
        return None
    return cv2.HOGDescriptor(
        _winSize=(SIDE, SIDE),
        _blockSize=(16, 16),
        _blockStride=(8, 8),
        _cellSize=(8, 8),
        _nbins=9,
        _derivAperture=1,
        _winSigma=1e6,
        _histogramNormType=cv2.HOGDescriptor_L2Hys,
        _L2HysThreshold=0.2,
        _gammaCorrection=False,
        _nlevels=64,
        _signedGradient=False,
    )


def benchmark_hog(images: np.ndarray) -> None:
    count = len(images)
    hog.hog_features(images[:64])  # builds the lookup tables once
    print(f"HOG (9 orientations, 8-px cells, 2x2 blocks, L2-Hys) on {count} images {SIDE}x{SIDE}")
    ours_all, matrix = rate(count, with_jobs(None, lambda: hog.hog_features(images)))
    ours_one, _ = rate(count, with_jobs(1, lambda: hog.hog_features(images)))
    reference_rate, reference = rate(
        count,
        lambda: np.stack(
            [
                skimage_hog(image, 9, (8, 8), (2, 2), block_norm="L2-Hys").astype(np.float32)
                for image in images
            ]
        ),
    )
    descriptor = opencv_hog()
    difference = float(np.abs(matrix - reference).max())
    workers = min(parallel.worker_count(), count // hog.MIN_IMAGES_PER_WORKER) or 1
    for label, per_second in (
        (f"ferbench, {workers} thread(s)", ours_all),
        ("ferbench, 1 process", ours_one),
        ("skimage per image", reference_rate),
    ):
        print(f"  {label:<26}{per_second:10.0f} images/s")
    print(
        f"  ferbench / skimage: {ours_all / reference_rate:.1f}x "
        f"(1 process: {ours_one / reference_rate:.1f}x)"
    )
    if descriptor is None:
        print(
            f"  OpenCV: cv2 {cv2.__version__} has no HOGDescriptor (OpenCV 5 moved it to "
            "opencv-contrib); install opencv-python-headless<5 to compare"
        )
    else:
        opencv_rate, _ = rate(count, lambda: [descriptor.compute(image) for image in images])
        threads = cv2.getNumThreads()
        label = "OpenCV per image"
        print(f"  {label:<26}{opencv_rate:10.0f} images/s (cv2 threads: {threads})")
        print(
            f"  ferbench / OpenCV: {ours_all / opencv_rate:.2f}x "
            f"(1 process: {ours_one / opencv_rate:.2f}x)"
        )
    print(f"  largest |ferbench - skimage| over all vectors: {difference:.2e}")


def benchmark_landmarks(count: int) -> None:
    faces = real_faces(count)
    source = "real CK+48/FER2013 samples, repeated"
    if faces is None:
        faces, source = generated_images(count, seed=1), "generated images"
    print(f"Landmarks on {count} faces {SIDE}x{SIDE} ({source})")
    landmarks.dlib_models()  # loaded here before timing; each worker process loads its own
    results = {}
    for jobs in (1, 2):
        per_second, results[jobs] = rate(
            count, with_jobs(jobs, lambda: landmarks.landmark_features(faces))
        )
        used = min(jobs, count // landmarks.MIN_IMAGES_PER_WORKER) or 1
        print(f"  FERBENCH_JOBS={jobs}: {per_second:8.1f} faces/s on {used} process(es)")
    _, found = landmarks.split_detector_column(results[1])
    print(f"  detector found {found.mean():.1%} of the faces; whole-image box for the rest")
    print(f"  1 and 2 processes agree: {np.array_equal(results[1], results[2])}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--images", type=int, default=35887, help="HOG images")
    parser.add_argument("--landmark-images", type=int, default=2000, help="landmark faces")
    args = parser.parse_args()
    print(f"CPUs: {os.cpu_count()}, FERBENCH_JOBS={os.environ.get(parallel.JOBS_ENV)}")
    print_load()
    benchmark_hog(generated_images(args.images))
    benchmark_landmarks(args.landmark_images)
    print_load()


def print_load() -> None:
    """Other processes' CPU use skews every rate, and worker speed-ups most of all."""
    print("load average (1, 5, 15 min): " + ", ".join(f"{x:.1f}" for x in os.getloadavg()))


if __name__ == "__main__":
    main()
