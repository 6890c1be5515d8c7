"""Decodes the animations of vox_animate_make_files with PIL (an independent decoder):
size, frame count, frame order, durations, looping and colours within quantisation.
With VOXSCOPE, also runs `voxscope animate --versions/--sweep` and `voxscope slice
--indicator` and checks their frames and figures.
Usage: animate_test.py FOLDER [VOXSCOPE]"""
import os
import subprocess
import sys
import tempfile
import unittest

import numpy as np

from PIL import Image, ImageSequence

FOLDER = sys.argv.pop(1) if len(sys.argv) > 1 else "."
VOXSCOPE = sys.argv.pop(1) if len(sys.argv) > 1 else None


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


def voxscope(*args):
    return subprocess.run([VOXSCOPE, "-q", *args], capture_output=True, text=True)


def gif_frames(path):
    with Image.open(path) as image:
        return [np.asarray(frame.convert("RGB"), dtype=np.int64).copy()
                for frame in ImageSequence.Iterator(image)]


@unittest.skipIf(VOXSCOPE is None, "needs voxscope")
class Versions(unittest.TestCase):
    """A ramp along x (0 to 255 in u8) through gamma versions: gamma < 1 brightens."""

    @classmethod
    def setUpClass(cls):
        cls.folder = tempfile.TemporaryDirectory()
        cls.ramp = os.path.join(cls.folder.name, "ramp.npy")
        volume = np.zeros((5, 24, 256), np.uint8)
        volume[:] = np.arange(256, dtype=np.uint8)
        volume[3] //= 2  # plane 3 differs: --index must pick it
        np.save(cls.ramp, volume)

    @classmethod
    def tearDownClass(cls):
        cls.folder.cleanup()

    def run_animate(self, name, *args):
        out = os.path.join(self.folder.name, name)
        result = voxscope("animate", self.ramp, "-o", out, *args)
        self.assertEqual(result.returncode, 0, result.stderr)
        return gif_frames(out)

    def test_gamma_order_and_values(self):
        frames = self.run_animate("v.gif", "--versions", "gamma:0.5;gamma:1;gamma:1.5",
                                  "--no-label", "--index", "1")
        self.assertEqual(len(frames), 3)
        self.assertEqual(frames[0].shape, (24, 256, 3))
        means = [frame.mean() for frame in frames]
        self.assertGreater(means[0], means[1])
        self.assertGreater(means[1], means[2])
        # Gray, one shared range (0..255 of the original): 255 (v / 255) ** gamma.
        for frame, gamma in zip(frames, (0.5, 1.0, 1.5)):
            self.assertTrue((frame[..., 0] == frame[..., 2]).all())
            for x in (16, 64, 128, 200):
                expected = 255 * (x / 255) ** gamma
                self.assertLessEqual(abs(frame[10, x, 0] - expected), 2, (gamma, x))

    def test_index_picks_the_plane(self):
        frames = self.run_animate("i.gif", "--versions", "gamma:1", "--no-label", "--index", "3")
        self.assertLessEqual(abs(frames[0][10, 200, 0] - 100), 1)  # 200 // 2, range 0..255

    def test_sweep_equals_versions(self):
        swept = self.run_animate("s.gif", "--sweep", "gamma=0.5:1.5:3", "--no-label")
        listed = self.run_animate("l.gif", "--versions", "gamma:0.5;gamma:1;gamma:1.5",
                                  "--no-label")
        self.assertEqual(len(swept), 3)
        for a, b in zip(swept, listed):
            self.assertTrue((a == b).all())

    def test_labels(self):
        plain = self.run_animate("p.gif", "--sweep", "gamma=0.5:1.5:3", "--no-label")
        labelled = self.run_animate("t.gif", "--sweep", "gamma=0.5:1.5:3")
        for a, b in zip(plain, labelled):
            # The label sits at the top-left; the rest of the frame is unchanged.
            self.assertTrue((a[:, 130:] == b[:, 130:]).all())
            self.assertFalse((a[:22, :100] == b[:22, :100]).all())
            self.assertTrue((b[..., 0] == b[..., 1]).all())  # gray frames stay gray
            self.assertGreater((b[:22, :100, 0] > 230).sum(), 20)  # white text
        # Each frame's label differs ("Gamma = 0.5", "Gamma = 1", "Gamma = 1.5").
        self.assertFalse((labelled[0][:22, :100] == labelled[1][:22, :100]).all())
        self.assertFalse((labelled[1][:22, :100] == labelled[2][:22, :100]).all())

    def test_axis_labels_opt_in(self):
        plain = self.run_animate("a.gif", "--step", "2")
        labelled = self.run_animate("b.gif", "--step", "2", "--label")
        self.assertEqual(len(plain), 3)
        self.assertEqual(len(labelled), 3)
        self.assertTrue((plain[1][:, 130:] == labelled[1][:, 130:]).all())
        self.assertFalse((plain[1][:22, :100] == labelled[1][:22, :100]).all())

    def test_own_range_with_range_flag(self):
        # --range image resolves each version on itself: gamma keeps 0 and 255 at the ends.
        frames = self.run_animate("r.gif", "--versions", "gamma:0.5;gamma:2", "--no-label",
                                  "--range", "image")
        for frame in frames:
            self.assertEqual(frame[10, 255, 0], 255)
            self.assertEqual(frame[10, 0, 0], 0)


@unittest.skipIf(VOXSCOPE is None, "needs voxscope")
class ManyFrames(unittest.TestCase):
    def test_order_and_exact_grays_across_windows(self):
        # 37 planes, each one gray over noise of 40 levels (over 16 colours, so palettes are
        # spread over 256 entries): frames are encoded in windows of up to 16 on the pool,
        # two windows at once, and must come out in order with every pixel exact.
        rng = np.random.default_rng(3)
        volume = (rng.integers(0, 40, size=(37, 20, 30)) + 6 * np.arange(37)[:, None, None])
        volume = volume.astype(np.uint8)
        with tempfile.TemporaryDirectory() as folder:
            path = os.path.join(folder, "many.npy")
            np.save(path, volume)
            out = os.path.join(folder, "many.gif")
            # --zoom 1: the automatic zoom would grow 20 x 30 planes nine times (to 270 wide).
            result = voxscope("animate", path, "-o", out, "--range", "0:255", "--zoom", "1")
            self.assertEqual(result.returncode, 0, result.stderr)
            frames = gif_frames(out)
            result = voxscope("animate", path, "-o", out, "--range", "0:255", "--step", "36")
            self.assertEqual(result.returncode, 0, result.stderr)
            zoomed = gif_frames(out)
        self.assertEqual(zoomed[0].shape[:2], (180, 270))
        self.assertTrue((zoomed[0][::9, ::9, 0] == volume[0]).all())
        self.assertEqual(len(frames), 37)
        for z, frame in enumerate(frames):
            self.assertTrue((frame[..., 0] == volume[z]).all(), f"frame {z}")
            self.assertTrue((frame[..., 2] == volume[z]).all(), f"frame {z}")


@unittest.skipIf(VOXSCOPE is None, "needs voxscope")
class Indicator(unittest.TestCase):
    def test_slice_with_indicator(self):
        with tempfile.TemporaryDirectory() as folder:
            plain = os.path.join(folder, "plain.png")
            shown = os.path.join(folder, "shown.png")
            for out, extra in ((plain, []), (shown, ["--indicator"])):
                result = voxscope("slice", "sample:cells", "-o", out, "--index", "30", *extra)
                self.assertEqual(result.returncode, 0, result.stderr)
            with Image.open(plain) as a, Image.open(shown) as b:
                # Same height; the indicator adds a square panel to the right.
                self.assertEqual(a.size[1], b.size[1])
                self.assertGreater(b.size[0], a.size[0] + 150)
                pixels = np.asarray(b.convert("RGB"), dtype=np.int64)
                right = pixels[:, a.size[0]:]
                cyan = (right[..., 1] - right[..., 0] > 40) & (right[..., 2] - right[..., 0] > 40)
                self.assertGreater(cyan.sum(), 1000)
                # The slice itself is unchanged.
                left = np.asarray(a.convert("RGB"), dtype=np.int64)
                self.assertTrue((pixels[:, :a.size[0] - 12] == left[:, :a.size[0] - 12]).all())


if __name__ == "__main__":
    unittest.main()
