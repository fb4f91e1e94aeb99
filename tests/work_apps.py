"""The work-message apps tests use: one app per platform, each known to the receivers of ``tests.work_receivers``."""

import uuid

from notifications.models import WorkApp

from .work_receivers import WorkProviders, start_work_receivers

AGENT = 1000002
SECRETS = {"dingtalk": "dt-secret", "wecom": "wc-secret", "feishu": "fs-secret"}
USER_IDS = {"dingtalk": "zhang.wei", "wecom": "zhangwei", "feishu": "5d9bdxxx"}
USER_FIELD = {"dingtalk": "dingtalk_userid", "wecom": "wecom_userid", "feishu": "feishu_user_id"}
KIND = {"dingtalk": "dingtalk_work", "wecom": "wecom_app", "feishu": "feishu_app"}
MESSAGE_PATH = {
    "dingtalk": "/topapi/message/corpconversation/asyncsend_v2",
    "wecom": "/cgi-bin/message/send",
    "feishu": "/open-apis/im/v1/messages",
}
PROVIDERS = list(SECRETS)


def started_providers():
    """The three platforms' servers on 127.0.0.1 (``known, server``), each knowing one app whose key is new (so no
    access token another test cached is found) and one user."""
    known = WorkProviders(users={provider: {user} for provider, user in USER_IDS.items()})
    server, known.base = start_work_receivers(known)
    known.keys = {provider: f"{provider}-{uuid.uuid4().hex[:12]}" for provider in PROVIDERS}
    known.dingtalk_apps[known.keys["dingtalk"]] = (SECRETS["dingtalk"], AGENT)
    known.wecom_apps[known.keys["wecom"]] = {SECRETS["wecom"]: AGENT}
    known.feishu_apps[known.keys["feishu"]] = SECRETS["feishu"]
    return known, server


def app_for(org, work, provider, **overrides) -> WorkApp:
    """The government's app of ``provider`` (serving every department under it), pointed at its receiver."""
    fields = {
        "provider": provider,
        "name": f"{provider} app",
        "department": org.government,
        "app_key": work.keys[provider],
        "secret": SECRETS[provider],
        "agent_id": None if provider == "feishu" else AGENT,
        "base_url": work.base,
    }
    return WorkApp.objects.create(**(fields | overrides))


def message_requests(work, provider) -> list:
    """The message requests ``provider`` received (token requests left out)."""
    return [r for r in work.received if r[0] == provider and r[2] == MESSAGE_PATH[provider]]
