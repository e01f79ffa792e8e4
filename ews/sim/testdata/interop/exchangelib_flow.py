"""Interop check: exchangelib (a widely used third-party EWS client) against ewsmon's simulator.

Run by ews/sim/interop_test.go with Debian's /usr/bin/python3 and python3-exchangelib:

    /usr/bin/python3 exchangelib_flow.py URL AUTH USER PASSWORD VERSION

AUTH is basic, ntlm or auto (exchangelib reads WWW-Authenticate from an unauthenticated probe); VERSION is 2016 (Version(build=EXCHANGE_2016), no probing) or guess
(exchangelib asks the server with ConvertId and reads ServerVersionInfo). It subscribes pull and
streaming on the inbox, fires a new-mail action through POST /sim/actions after each Subscribe,
waits for the NewMailEvent, runs SyncFolderHierarchy on the root, and prints one JSON object with
what it saw. Any failure is a traceback and a non-zero exit status.
"""
import json
import sys
import time
import urllib.request

from exchangelib import BASIC, DELEGATE, NTLM, Account, Configuration, Credentials, Version
from exchangelib.version import EXCHANGE_2016

url, auth, user, password, version = sys.argv[1:6]
actions_url = url.rsplit("/EWS/", 1)[0] + "/sim/actions"

kw = dict(service_endpoint=url, credentials=Credentials(user, password))
if auth != "auto":
    kw["auth_type"] = {"ntlm": NTLM, "basic": BASIC}[auth]
if version == "2016":
    kw["version"] = Version(build=EXCHANGE_2016)
account = Account("alice@example.com", config=Configuration(**kw), autodiscover=False, access_type=DELEGATE)
out = {"server_build": str(account.version.build), "api_version": account.version.api_version}


def new_mail():
    req = urllib.request.Request(actions_url, data=json.dumps({"action": "new-mail", "folder": "inbox"}).encode(),
                                 headers={"Content-Type": "application/json"}, method="POST")
    with urllib.request.urlopen(req, timeout=30) as r:
        return r.read().decode()


def describe(events):
    return [{"type": type(e).__name__, "item_id": getattr(getattr(e, "item_id", None), "id", None)} for e in events]


inbox = account.inbox
out["inbox"] = {"name": inbox.name, "id": inbox.id}

# Pull: subscribe, fire new mail, poll GetEvents until the NewMailEvent arrives.
sid, watermark = inbox.subscribe_to_pull(timeout=5)
action = new_mail()
seen, deadline = [], time.monotonic() + 30
while not any(e["type"] == "NewMailEvent" for e in seen):
    if time.monotonic() > deadline:
        raise SystemExit(f"pull: no NewMailEvent within 30s; saw {seen}")
    for notification in inbox.get_events(sid, watermark):
        seen += describe(notification.events)
        for e in notification.events:
            if getattr(e, "watermark", None):
                watermark = e.watermark
    time.sleep(0.2)
inbox.unsubscribe(sid)
new = [e for e in seen if e["type"] == "NewMailEvent"]
if not all(e["item_id"] and e["item_id"] in action for e in new):
    raise SystemExit(f"pull: NewMailEvent item ids {new} are not the ones the action reported: {action}")
out["pull"] = seen

# Streaming: subscribe, fire new mail, read the stream until the NewMailEvent arrives.
sid = inbox.subscribe_to_streaming()
action = new_mail()
seen = []
for notification in inbox.get_streaming_events(sid, connection_timeout=1):
    seen += describe(notification.events)
    if any(e["type"] == "NewMailEvent" for e in seen):
        break
inbox.unsubscribe(sid)
new = [e for e in seen if e["type"] == "NewMailEvent"]
if not new:
    raise SystemExit(f"streaming: no NewMailEvent before the connection closed; saw {seen}")
if not all(e["item_id"] and e["item_id"] in action for e in new):
    raise SystemExit(f"streaming: NewMailEvent item ids {new} are not the ones the action reported: {action}")
out["streaming"] = seen

# SyncFolderHierarchy from the root: the whole folder tree.
folders = []
for change_type, folder in account.root.sync_hierarchy():
    folders.append({"change": change_type, "name": folder.name, "id": folder.id,
                    "parent": folder.parent_folder_id.id if folder.parent_folder_id else None,
                    "class": folder.folder_class})
out["sync"] = folders
out["sync_state"] = account.root.folder_sync_state

json.dump(out, sys.stdout)
print()
