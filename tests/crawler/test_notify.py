"""`scrapy notify` end to end on 127.0.0.1: the demo crawl and an unreachable site, a local SMTP server and JSON
webhooks as the contacts and the supervising office; once per run and channel, failures retried (#14)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from sqlalchemy import select

from models.notification import Notification
from models.session import make_sessionmaker, open_database
from tests.crawler.test_commands import scrapy, sites_in
from tests.receivers import SmtpReceiver, WebhookReceiver

DEMO, DOWN, QUIET = "4511990001", "4511990002", "4511990003"
FAST = {"GOVHEALTH_RECHECK_DELAY": "0.3", "GOVHEALTH_AS_OF": "2026-11-20"}


@dataclass
class World:
    db_url: str
    smtp: SmtpReceiver
    hooks: WebhookReceiver
    refusing: WebhookReceiver
    env: dict[str, str]

    def notify(self, *args: str) -> tuple[int, str, str]:
        done = scrapy("notify", *args, db_url=self.db_url, env_extra=self.env)
        return done.returncode, done.stdout, done.stderr

    def rows(self) -> list[tuple[str, str, str, int]]:
        engine = open_database(self.db_url)
        try:
            with make_sessionmaker(engine)() as session:
                query = select(Notification).order_by(Notification.id)
                return [(n.subject, n.target, n.status, n.attempts) for n in session.scalars(query)]
        finally:
            engine.dispose()


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    """The demo site crawled (11 scored findings), an unreachable site and a site without contact crawled."""
    tmp = tmp_path_factory.mktemp("notify")
    db_url = f"sqlite:///{tmp / 'govhealth.sqlite3'}"
    open_database(db_url).dispose()
    demo = scrapy("demo", "-o", str(tmp / "demo.xlsx"), db_url=db_url, timeout=300)
    assert demo.returncode == 0, demo.stderr
    with SmtpReceiver() as smtp:
        hooks, refusing = WebhookReceiver(), WebhookReceiver(listening=False)
        mail = f"mailto://127.0.0.1:{smtp.port}?to=webmaster@demo.gov.cn&from=govhealth@office.gov.cn"
        registry = tmp / "sites.csv"
        registry.write_text(
            "code,name,url,联系方式\n"
            f"{DEMO},示例县人民政府（演示）,http://127.0.0.1:9/,{mail} | {hooks.url('/demo')} {refusing.url('/x')}\n"
            f"{DOWN},停机县人民政府,http://127.0.0.1:9/index.html,{hooks.url('/down')}\n"
            f"{QUIET},无人县人民政府,http://127.0.0.1:9/index.html,\n",
            encoding="utf-8",
        )
        imported = scrapy("sites", "import", str(registry), db_url=db_url)
        assert imported.returncode == 0, imported.stderr
        env = {**FAST, "GOVHEALTH_NOTIFY_SUPERVISOR": hooks.url("/office")}
        nightly = scrapy("nightly", "--codes", f"{DOWN},{QUIET}", "-s", "DOWNLOAD_TIMEOUT=3", db_url=db_url,
                         env_extra=env)  # fmt: skip
        assert nightly.returncode == 0, nightly.stdout + nightly.stderr
        try:
            yield World(db_url, smtp, hooks, refusing, env)
        finally:
            hooks.close()
            refusing.close()


def test_notify_once_per_run_and_channel_retrying_failures(world: World) -> None:
    # --dry-run prints every message and sends nothing
    code, out, err = world.notify("--dry-run")
    assert code == 0, err
    assert "notify --dry-run: 5 messages, nothing sent" in out
    assert "新增问题 11 项（首次检查）：错链断链 7、空白栏目 2、栏目长期未更新 2" in out
    assert (world.smtp.messages, dict(world.hooks.posts), world.rows()) == ([], {}, [])

    # one message per contact; the refused one is recorded, the others get theirs
    code, out, err = world.notify()
    assert code == 1, "a failed send is an error for cron"
    assert "notify: 4 sent, 1 failed (retried next time), 0 already sent, 1 sites without contact" in out
    assert [line for line in err.splitlines() if "failed" in line] == [
        f"notify: {DEMO} → {world.refusing.url('/x')} failed: A Connection error occurred sending JSON "
        + "notification to 127.0.0.1."
    ]
    assert "Traceback" not in err
    (mail,) = world.smtp.texts()
    assert world.smtp.recipients == [["webmaster@demo.gov.cn"]]
    assert "新增问题 11 项（首次检查）：错链断链 7、空白栏目 2、栏目长期未更新 2" in mail
    assert "空白栏目 2 个：再有 3 个即单项否决（空白栏目）" in mail
    (demo,) = world.hooks.posts["/demo"]
    assert demo["message"].replace("\r\n", "\n") == mail.replace("\r\n", "\n").rstrip("\n")
    assert demo["title"].startswith("【政府网站健康检查】示例县人民政府（演示）")
    (down,) = world.hooks.posts["/down"]
    assert "站点无法访问" in down["message"] and "不合格" in down["title"]
    (office,) = world.hooks.posts["/office"]
    assert f"- {DOWN} 停机县人民政府：" in office["message"]
    assert f"- {QUIET} 无人县人民政府：" in office["message"], "a site without contact is in the digest"
    assert "新否决 2 个" in office["title"]
    assert "共检查 3 个网站" in office["message"]
    assert sorted(st for _, _, st, _ in world.rows()) == ["failed", "sent", "sent", "sent", "sent"]

    # again: nothing new is sent, the failed contact is tried again
    code, out, _ = world.notify()
    assert "notify: 0 sent, 1 failed (retried next time), 4 already sent" in out
    received = world.smtp.messages, world.hooks.posts["/demo"], world.hooks.posts["/office"]
    assert [len(r) for r in received] == [1, 1, 1]
    assert [n for _, t, _, n in world.rows() if t == world.refusing.url("/x")] == [2]

    # the contact comes back: the next `scrapy nightly --notify` delivers its message, and only that
    # (plus the digest of the new nightly run)
    world.refusing.listen()
    nightly = scrapy("nightly", "--codes", QUIET, "--notify", "-s", "DOWNLOAD_TIMEOUT=3", db_url=world.db_url,
                     env_extra=world.env)  # fmt: skip
    assert nightly.returncode == 0, nightly.stdout + nightly.stderr
    assert (
        "notify: 2 sent, 0 failed (retried next time), 3 already sent, 1 sites without contact"
        in nightly.stdout
    )
    (retried,) = world.refusing.posts["/x"]
    assert retried["message"] == demo["message"]
    assert (len(world.smtp.messages), len(world.hooks.posts["/demo"]), len(world.hooks.posts["/down"])) == (
        1,
        1,
        1,
    )
    assert len(world.hooks.posts["/office"]) == 2


def test_contacts_are_validated_on_import_and_masked_in_the_list(world: World, tmp_path: Path) -> None:
    before = sites_in(world.db_url)
    bad = tmp_path / "bad.csv"
    bad.write_text(
        "code,name,url,contact\n"
        "4511990004,甲,http://a.example/,bogus://secret-token\n"
        "4511990005,乙,http://b.example/,dingtalk://\n"
        "4511990006,丙,http://c.example/,mailto://user:hunter2@smtp.example.gov.cn?to=a@b.gov.cn\n",
        encoding="utf-8",
    )
    done = scrapy("sites", "import", str(bad), db_url=world.db_url)
    assert done.returncode == 1
    assert done.stderr.splitlines()[1:] == [
        "row 2: contact has an unknown scheme 'bogus://'; Apprise knows mailto, mailtos, dingtalk, wecombot, "
        + "feishu, lark, json and many more",
        "row 3: contact is not a valid dingtalk:// URL (see Apprise's documentation of that service)",
    ]
    assert "secret-token" not in done.stderr
    assert sites_in(world.db_url) == before, "nothing written"

    good = tmp_path / "good.csv"
    good.write_text(
        "code,name,url,contact\n"
        "4511990006,丙,http://c.example/,mailto://user:hunter2@smtp.example.gov.cn?to=a@b.gov.cn|"
        "dingtalk://0123456789abcdef0123/ wecombot://ffeeddccbbaa0099\n",
        encoding="utf-8",
    )
    assert scrapy("sites", "import", str(good), db_url=world.db_url).returncode == 0
    for fmt in ("json", "csv", "table"):
        listed = scrapy("sites", "list", "--format", fmt, db_url=world.db_url)
        assert listed.returncode == 0, listed.stderr
        for secret in ("hunter2", "0123456789abcdef0123", "ffeeddccbbaa0099"):
            assert secret not in listed.stdout, (fmt, secret)
    (row,) = [s for s in json.loads(scrapy("sites", "list", "--format", "json", db_url=world.db_url).stdout)
              if s["code"] == "4511990006"]  # fmt: skip
    assert row["contact"] == (
        "mailto://user:****@smtp.example.gov.cn/a@b.gov.cn | dingtalk://0...3// | wecombot://f...9/"
    )
