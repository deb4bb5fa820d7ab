"""The Overview page against the real service, engine and loopback receivers: the chart and the
tables show what was really delivered, clicks open Event Deliveries with that search, the range
toggles, and the page refreshes itself while deliveries happen."""

from __future__ import annotations

from datetime import timedelta

import pytest
from PySide6.QtCore import QPoint, QPointF, QSettings, Qt

from emswebhook_gui.stats import sparkline
from emswebhook_gui.gui.overview.page import OverviewPage
from emswebhook_gui.gui.shell.main_window import MainWindow
from emswebhook_gui.gui.shell.pages import PAGES
from tests.support.gui import shown
from tests.support.receiver import Answer, Receiver

ADDED = {"event": "Entitlement Added", "activity": "Add Entitlement", "entityId": "e-1"}


@pytest.fixture
def hooks(gui_env):
    """Two webhooks on "Entitlement Added": "Healthy" answered 200, "Failing" answered HTTP 500."""
    healthy, failing = Receiver(), Receiver()
    failing.answer(Answer(status=500, body=b"boom"))

    async def setup():
        await healthy.__aenter__()
        await failing.__aenter__()
        service = gui_env.service
        await service.set_property("allowPrivateEndpoints", True)
        await service.create_profile({"name": "Basic", "type": "basic", "username": "u", "password": "pw"})
        ids = {}
        for name, receiver in (("Healthy", healthy), ("Failing", failing)):
            hook = await service.create_webhook({"name": name, "event": "Entitlement Added",
                                                 "endpointUrl": receiver.url(), "authProfile": "Basic"})
            ids[name] = hook["id"]
        return ids

    ids = gui_env.run(setup())
    yield ids
    gui_env.run(healthy.__aexit__(None, None, None))
    gui_env.run(failing.__aexit__(None, None, None))


def chart_total(page: OverviewPage, key: str) -> float:
    return sum(page.chart.values(key))


def test_the_chart_and_tables_show_what_was_delivered(gui_env, hooks, qtbot):
    page = shown(OverviewPage(gui_env.bridge), qtbot, 1100, 800)

    async def body():
        await gui_env.until(lambda: page.stats is not None)
        assert page.summary_label.text() == "No delivery attempts in the last 24 hours."
        await gui_env.service.publish(ADDED)
        await gui_env.until(lambda: chart_total(page, "delivered") == 1 and chart_total(page, "failedAttempts") >= 1)
        assert len(page.chart.values("delivered")) == 24  # hourly bars
        names = [page.webhook_model.index(r, 0).data() for r in range(page.webhook_model.rowCount())]
        assert names == ["Failing", "Healthy"]  # most failing first
        assert page.webhook_model.index(0, 1).data() == "0 %"
        assert page.webhook_model.index(1, 1).data() == "100 %"
        assert "500" in page.webhook_model.index(0, 5).data()
        assert page.webhook_model.index(1, 6).data()[-1] == "█"  # this hour's delivery, in the sparkline
        reasons = [page.reason_model.index(r, 0).data() for r in range(page.reason_model.rowCount())]
        assert reasons and "500" in reasons[0]
        assert page.reason_model.index(0, 2).data() == "Failing"
        assert "1 delivered" in page.summary_label.text()

    gui_env.run(body())


def test_the_7_day_toggle_shows_six_hour_bars(gui_env, hooks, qtbot):
    page = shown(OverviewPage(gui_env.bridge), qtbot, 1100, 800)

    async def body():
        await gui_env.until(lambda: page.stats is not None)
        qtbot.mouseClick(page.range_buttons.button(168), Qt.MouseButton.LeftButton)
        await gui_env.until(lambda: page.stats["hours"] == 168)
        assert page.stats["bucketHours"] == 6 and len(page.chart.values("delivered")) == 28
        assert "7 days" in page.summary_label.text()

    gui_env.run(body())


def test_clicks_open_event_deliveries_with_that_search(gui_env, hooks, qtbot, tmp_path):
    window = MainWindow(settings=QSettings(str(tmp_path / "s.ini"), QSettings.Format.IniFormat))
    qtbot.addWidget(window)
    window.resize(1200, 900)
    window.install_pages(gui_env.bridge)
    window.show()
    assert PAGES[0].key == "overview" and window.current_page.key == "overview"
    page: OverviewPage = window.page_widget("overview")
    deliveries = window.page_widget("deliveries")

    async def body():
        await gui_env.service.publish(ADDED)
        await gui_env.until(lambda: page.webhook_model.rowCount() == 2 and chart_total(page, "failedAttempts") >= 1)
        # a webhook row: that webhook, over the range shown
        rect = page.webhook_table.visualRect(page.webhook_model.index(0, 0))
        qtbot.mouseClick(page.webhook_table.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
        assert window.current_page.key == "deliveries"
        await gui_env.until(lambda: deliveries.filters.filters().get("webhook") == hooks["Failing"])
        assert "status" not in deliveries.filters.filters() and "since" in deliveries.filters.filters()
        await gui_env.until(lambda: deliveries.model.rowCount() == 1)
        # a bar of the chart, clicked where it is painted: delivered → SUCCESSFUL in that hour
        window.show_page("overview")
        await gui_env.until(lambda: page.chart.isVisible())
        index = max(range(24), key=lambda i: page.chart.values("delivered")[i])
        series = page.chart.chart().series()[0]
        value = page.chart.values("delivered")[index]
        scene = page.chart.chart().mapToPosition(QPointF(index, value / 2), series)
        point = page.chart.mapFromScene(scene)
        qtbot.mouseClick(page.chart.viewport(), Qt.MouseButton.LeftButton, pos=QPoint(point.x(), point.y()))
        assert window.current_page.key == "deliveries"
        search = deliveries.filters.filters()
        assert search.get("status") == "SUCCESSFUL" and "webhook" not in search
        assert search["until"] - search["since"] == timedelta(hours=1) - timedelta(milliseconds=1)  # whole minutes
        await gui_env.until(lambda: deliveries.model.rowCount() == 1)

    gui_env.run(body())


def test_it_refreshes_itself_while_deliveries_happen(gui_env, hooks, qtbot):
    page = shown(OverviewPage(gui_env.bridge), qtbot, 1100, 800)

    async def body():
        await gui_env.until(lambda: page.stats is not None)
        for expected in (1, 2, 3):
            await gui_env.service.publish(ADDED)
            await gui_env.until(lambda: chart_total(page, "delivered") == expected)

    gui_env.run(body())


def test_sparkline_scales_to_the_busiest_hour():
    assert sparkline([0, 0, 0]) == "▁▁▁"
    assert sparkline([0, 5, 10]) == "▁▅█"
