# SPDX-License-Identifier: Apache-2.0
"""Keras's Progbar (keras/utils/generic_utils.py, Keras 2.15), the text the C library's progress
bar also prints: "12/47 [=======>......................] - ETA: 3s - loss: 0.6931", finished as
"47/47 [==============================] - 4s 83ms/step - loss: 0.5811" (verbose 1), or one line
"47/47 - 4s - loss: 0.5811 - 4s/epoch - 83ms/step" (verbose 2). Unlike Keras, no backspaces
precede the "\\r" (the C bar writes none either)."""
import math
import sys
import time


def print_msg(message, line_break=True):
    """Keras's io_utils.print_msg: to sys.stdout, flushed."""
    sys.stdout.write(message + "\n" if line_break else message)
    sys.stdout.flush()


def _format_time(time_per_unit, unit_name):
    if time_per_unit >= 1 or time_per_unit == 0:
        return " %.0fs/%s" % (time_per_unit, unit_name)
    if time_per_unit >= 1e-3:
        return " %.0fms/%s" % (time_per_unit * 1e3, unit_name)
    return " %.0fus/%s" % (time_per_unit * 1e6, unit_name)


def _format_eta(eta):
    s = int(eta)
    if eta > 3600:
        return "%d:%02d:%02d" % (s // 3600, (s % 3600) // 60, s % 60)
    if eta > 60:
        return "%d:%02d" % (s // 60, s % 60)
    return "%ds" % s


def _format_value(v, fixed):
    if math.isnan(v):
        return " nan"
    return " %.4f" % v if fixed else " %.4e" % v


class Progbar:
    """Progbar(target, width=30, verbose=1, interval=0.05, stateful_metrics=None,
    unit_name="step"); update(current, values, finalize) with values a list of (name, value)."""

    def __init__(self, target, width=30, verbose=1, interval=0.05, stateful_metrics=None,
                 unit_name="step"):
        self.target = target
        self.width = width
        self.verbose = verbose
        self.interval = interval
        self.unit_name = unit_name
        self.stateful_metrics = set(stateful_metrics or ())
        self._values = {}  # name -> [sum, count], in insertion order
        self._seen_so_far = 0
        self._total_width = 0
        self._start = time.time()
        self._last_update = 0.0
        self._time_after_first_step = None
        self._time_at_epoch_start = self._start
        self._time_at_epoch_end = None

    def _estimate_step_duration(self, current, now):
        if not current:
            return 0.0
        # why: the first step (allocation, warm-up) is not representative
        if self._time_after_first_step is not None and current > 1:
            per_unit = (now - self._time_after_first_step) / (current - 1)
        else:
            per_unit = (now - self._start) / current
        if current == 1:
            self._time_after_first_step = now
        return per_unit

    def _format_values(self, absolute):
        info = ""
        for name, (total, count) in self._values.items():
            avg = total / max(1.0, count)
            info += " - %s:%s" % (name, _format_value(avg, (abs(avg) if absolute else avg) > 1e-3))
        return info

    def update(self, current, values=None, finalize=None):
        if finalize is None:
            finalize = self.target is not None and current >= self.target
        for name, v in values or []:
            v = float(v)
            if name in self.stateful_metrics:
                self._values[name] = [v, 1.0]
            else:
                base = max(current - self._seen_so_far, 1)
                entry = self._values.setdefault(name, [0.0, 0.0])
                entry[0] += v * base
                entry[1] += base
        self._seen_so_far = current

        now = time.time()
        info = " - %.0fs" % (now - self._start)
        if self.target is not None and current == self.target:
            self._time_at_epoch_end = now
        if self.verbose == 1:
            if now - self._last_update < self.interval and not finalize:
                return
            prev_total_width = self._total_width
            if self.target is not None:
                digits = len(str(self.target))
                bar = "%*d/%d [" % (digits, current, self.target)
                prog_width = int(self.width * current / self.target)
                if prog_width > 0:
                    bar += "=" * (prog_width - 1) + (">" if current < self.target else "=")
                bar += "." * max(self.width - prog_width, 0) + "]"
            else:
                bar = "%7d/Unknown" % current
            self._total_width = len(bar)
            time_per_unit = self._estimate_step_duration(current, now)
            if self.target is None or finalize:
                info += _format_time(time_per_unit, self.unit_name)
            else:
                info = " - ETA: " + _format_eta(time_per_unit * (self.target - current))
            info += self._format_values(absolute=True)
            self._total_width += len(info)
            if prev_total_width > self._total_width:
                info += " " * (prev_total_width - self._total_width)
            if finalize:
                info += "\n"
            print_msg("\r" + bar + info, line_break=False)
        elif self.verbose == 2 and finalize:
            target = self.target if self.target is not None else current
            info = "%*d/%d" % (len(str(target)), current, target) + info + \
                self._format_values(absolute=False)
            if self._time_at_epoch_end is not None:
                time_per_epoch = self._time_at_epoch_end - self._time_at_epoch_start
                self._time_at_epoch_start = now
                self._time_at_epoch_end = None
                info += " -" + _format_time(time_per_epoch, "epoch")
                info += " -" + _format_time(time_per_epoch / target, self.unit_name)
                info += "\n"
            print_msg(info, line_break=False)
        self._last_update = now

    def add(self, n, values=None):
        self.update(self._seen_so_far + n, values)
