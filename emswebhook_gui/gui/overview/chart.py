"""The stacked bar chart of the Overview: delivered, failed attempts and notifications that ended
FAILED, per hour (24 hours) or per six hours (7 days).

QtCharts (PySide6-Addons) rather than pyqtgraph: measured on the project's machines, importing
pyqtgraph (with numpy) took about 900 ms and QtCharts under 15 ms, and the page must paint its
first chart within 150 ms (README, dependency table). Animations are off: a refresh while
deliveries happen must not replay a growing animation every few seconds.

Colours come from the palette: each series keeps its hue (green, amber, red, as status chips do)
at a lightness that reads on the palette's base, so a dark theme gets light bars, not dark bars on
a dark background.
"""

from __future__ import annotations

from datetime import datetime

from PySide6.QtCharts import QBarCategoryAxis, QBarSet, QChart, QChartView, QDateTimeAxis, QStackedBarSeries, QValueAxis
from PySide6.QtCore import QDateTime, Qt, Signal
from PySide6.QtGui import QColor, QPainter, QPalette
from PySide6.QtWidgets import QWidget

SERIES: tuple[tuple[str, str, int], ...] = (
    ("delivered", "Delivered", 130),
    ("failedAttempts", "Failed attempt", 38),
    ("endedFailed", "Ended FAILED", 2),
)
"""(key in the service's buckets, legend text, hue)."""


def series_color(palette: QPalette, hue: int) -> QColor:
    """``hue`` at a saturation and lightness that stand out on the palette's base colour."""
    dark = palette.color(QPalette.ColorRole.Base).lightness() < 128
    return QColor.fromHsl(hue, 150 if dark else 170, 150 if dark else 105)


def bucket_label(start: str, bucket_hours: int) -> str:
    """An hourly bucket as "14:00", a six-hourly one as "Tue 12:00" (local time)."""
    moment = datetime.fromisoformat(start).astimezone()
    return moment.strftime("%H:00") if bucket_hours == 1 else moment.strftime("%a %H:00")


class HealthChart(QChartView):
    sig_bar_clicked = Signal(int, str)
    """A bar was clicked: (bucket index, series key from :data:`SERIES`)."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("healthChart")
        self.setRenderHint(QPainter.RenderHint.Antialiasing)
        self.setMinimumHeight(220)
        self._chart = QChart()
        self._chart.setAnimationOptions(QChart.AnimationOption.NoAnimation)
        self._chart.legend().setAlignment(Qt.AlignmentFlag.AlignBottom)
        self._chart.setBackgroundVisible(False)
        self._chart.layout().setContentsMargins(0, 0, 0, 0)
        self.setChart(self._chart)
        self._series = QStackedBarSeries()
        self._series.setBarWidth(0.8)
        self.bar_sets: dict[str, QBarSet] = {}
        for key, label, _hue in SERIES:
            bar_set = QBarSet(label)
            self.bar_sets[key] = bar_set
            self._series.append(bar_set)
        self._series.clicked.connect(self._on_series_clicked)
        self._chart.addSeries(self._series)
        self._x = QBarCategoryAxis()
        # the bars' categories carry no labels: QtCharts elides each to its bar's width, so on a
        # small window (or at 1.5x) all 24 read "…"; a time axis over the same span, attached to
        # no series, names a few moments instead, whole and horizontal
        self._x.setLabelsVisible(False)
        self._x.setGridLineVisible(False)
        self._time = QDateTimeAxis()
        self._time.setObjectName("timeAxis")
        self._y = QValueAxis()
        self._y.setLabelFormat("%d")
        self._chart.addAxis(self._x, Qt.AlignmentFlag.AlignBottom)
        self._chart.addAxis(self._time, Qt.AlignmentFlag.AlignBottom)
        self._chart.addAxis(self._y, Qt.AlignmentFlag.AlignLeft)
        self._series.attachAxis(self._x)
        self._series.attachAxis(self._y)
        self.apply_palette()

    def apply_palette(self) -> None:
        palette = self.palette()
        text = palette.color(QPalette.ColorRole.Text)
        for key, _label, hue in SERIES:
            color = series_color(palette, hue)
            self.bar_sets[key].setColor(color)
            self.bar_sets[key].setBorderColor(color)
        self._chart.legend().setLabelColor(text)
        for axis in (self._x, self._time, self._y):
            axis.setLabelsColor(text)
            axis.setGridLineColor(palette.color(QPalette.ColorRole.Mid))
            axis.setLinePenColor(palette.color(QPalette.ColorRole.Mid))

    def changeEvent(self, event) -> None:  # noqa: N802 (Qt override)
        if event.type() == event.Type.PaletteChange:
            self.apply_palette()
        super().changeEvent(event)

    def set_buckets(self, buckets: list[dict], bucket_hours: int) -> None:
        for key, bar_set in self.bar_sets.items():
            bar_set.remove(0, bar_set.count())
            bar_set.append([float(b[key]) for b in buckets])
        self._x.setCategories([bucket_label(b["start"], bucket_hours) for b in buckets])
        if buckets:
            first = datetime.fromisoformat(buckets[0]["start"])
            self._time.setRange(QDateTime.fromMSecsSinceEpoch(int(first.timestamp() * 1000)),
                                QDateTime.fromMSecsSinceEpoch(int((first.timestamp() + len(buckets) * bucket_hours * 3600) * 1000)))
            hours = len(buckets) * bucket_hours
            self._time.setFormat("HH:mm" if hours <= 48 else "ddd HH:mm")
            self._time.setTickCount(hours // 4 + 1 if hours <= 24 else min(hours // 24 + 1, 8))
        peak = max((sum(b[key] for key, _l, _h in SERIES) for b in buckets), default=0)
        self._y.setRange(0, max(4, peak * 1.1))
        self._y.applyNiceNumbers()

    def values(self, key: str) -> list[float]:
        bar_set = self.bar_sets[key]
        return [bar_set.at(i) for i in range(bar_set.count())]

    def _on_series_clicked(self, index: int, bar_set: QBarSet) -> None:
        for key, candidate in self.bar_sets.items():
            if candidate is bar_set:
                self.sig_bar_clicked.emit(index, key)
