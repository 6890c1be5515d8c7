"""Decodes the animations of vox_animate_make_files with PIL (an independent decoder):
size, frame count, frame order, durations, looping and colours within quantisation.
Usage: animate_test.py FOLDER"""
import sys
import unittest

from PIL import Image, ImageSequence

FOLDER = sys.argv.pop(1) if len(sys.argv) > 1 else "."


def frames_of(name):
    with Image.open(f"{FOLDER}/{name}") as image:
        frames = [frame.convert("RGB").copy() for frame in ImageSequence.Iterator(image)]
        info = dict(image.info)
        size = image.size
        durations = []
        image.seek(0)
        for frame in ImageSequence.Iterator(image):
            durations.append(frame.info.get("duration"))
    return size, frames, info, durations


def close(actual, expected, tolerance):
    return all(abs(a - e) <= tolerance for a, e in zip(actual, expected))


class SolidFrames(unittest.TestCase):
    def check(self, name):
        size, frames, info, durations = frames_of(name)
        self.assertEqual(size, (12, 7))
        self.assertEqual(len(frames), 3)
        self.assertEqual(info.get("loop"), 0)
        self.assertEqual(durations, [120, 120, 120])
        for frame, colour in zip(frames, [(255, 0, 0), (0, 255, 0), (0, 0, 255)]):
            colours = frame.getcolors()
            self.assertEqual(len(colours), 1, f"{name}: {colours}")
            self.assertTrue(close(colours[0][1], colour, 0), f"{name}: {colours} != {colour}")

    def test_gif(self):
        self.check("solid.gif")

    def test_webp(self):
        self.check("solid.webp")


class MedianCut(unittest.TestCase):
    def test_gradient(self):
        size, frames, _, _ = frames_of("gradient.gif")
        self.assertEqual(size, (32, 32))
        self.assertEqual(len(frames), 2)
        worst = 0
        for y in range(32):
            for x in range(32):
                pixel = frames[0].getpixel((x, y))
                worst = max(worst, *(abs(a - e) for a, e in zip(pixel, (8 * x, 8 * y, 100))))
        self.assertLessEqual(worst, 8)  # median cut: 1024 colours in 256 boxes (measured 4)
        self.assertEqual(frames[1].getcolors(), [(32 * 32, (77, 77, 77))])


class Axis(unittest.TestCase):
    def check(self, name, zoom, planes):
        size, frames, _, _ = frames_of(name)
        # 8 x 5 voxels, y spacing twice x: 8 x 10 pixels per zoom.
        self.assertEqual(size, (8 * zoom, 10 * zoom))
        self.assertEqual(len(frames), len(planes))
        for frame, z in zip(frames, planes):
            for row in range(10 * zoom):
                bright = row // (2 * zoom) == z
                for column in range(0, 8 * zoom, 3):
                    value = frame.getpixel((column, row))
                    expected = (255, 255, 255) if bright else (0, 0, 0)
                    self.assertTrue(close(value, expected, 0),
                                    f"{name} plane {z} ({column}, {row}): {value}")

    def test_gif(self):
        self.check("axis.gif", 1, range(5))
        self.check("axis_step2.gif", 3, [0, 2, 4])

    def test_webp(self):
        self.check("axis.webp", 1, range(5))
        self.check("axis_step2.webp", 3, [0, 2, 4])

    def test_speed_files(self):
        for name in ("speed.gif", "speed.webp", "speed_composite.gif"):
            size, frames, _, _ = frames_of(name)
            self.assertEqual(size, (256, 256))
            self.assertEqual(len(frames), 60)


if __name__ == "__main__":
    unittest.main()
