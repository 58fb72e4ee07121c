#!/usr/bin/python3
"""Writes a small image-folder dataset for Ridge's tests (docs/data.md).

DIR/class_<k>/img_<i>.png (every fourth image a .jpg instead): SIZE x SIZE
RGB pictures whose class sets a tint and a stripe direction, under noise, so
a network can tell the classes apart within a few steps. Deterministic for a
seed. Usage: make_image_folder.py DIR CLASSES PER_CLASS [SIZE] [SEED]
"""
import os
import sys

import cv2
import numpy as np


def picture(rng, k, classes, size):
    yy, xx = np.mgrid[0:size, 0:size]
    angle = np.pi * k / classes
    stripes = 0.5 + 0.5 * np.sin((xx * np.cos(angle) + yy * np.sin(angle)) * 0.6)
    tint = np.array([(k * 37) % 256, (k * 91 + 60) % 256, (k * 151 + 120) % 256], dtype=np.float64)
    img = stripes[..., None] * tint[None, None, :] + rng.normal(0, 20, (size, size, 3))
    return np.clip(img, 0, 255).astype(np.uint8)


def main():
    if len(sys.argv) < 4:
        sys.exit(__doc__)
    out, classes, per_class = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
    size = int(sys.argv[4]) if len(sys.argv) > 4 else 32
    rng = np.random.default_rng(int(sys.argv[5]) if len(sys.argv) > 5 else 0)
    for k in range(classes):
        folder = os.path.join(out, "class_%02d" % k)
        os.makedirs(folder, exist_ok=True)
        for i in range(per_class):
            ext = ".jpg" if i % 4 == 3 else ".png"
            # OpenCV writes BGR; reversing keeps the tint in RGB order on disk.
            cv2.imwrite(os.path.join(folder, "img_%03d%s" % (i, ext)), picture(rng, k, classes, size)[..., ::-1])


if __name__ == "__main__":
    main()
