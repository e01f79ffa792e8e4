"""Interop check: exchangelib's push subscription and its SendNotification parser against ewsmon's simulator.

Run by ews/sim/interop_test.go with Debian's /usr/bin/python3 and python3-exchangelib:

    /usr/bin/python3 exchangelib_push.py URL USER PASSWORD

It starts its own listener on 127.0.0.1 (a free port), subscribes the inbox to push notifications with
exchangelib (Folder.subscribe_to_push, StatusFrequency 1), fires a new-mail action through
POST /sim/actions, and parses every notification the simulator POSTs with exchangelib's
SendNotification service, as exchangelib's documentation shows for a push listener. It answers
SubscriptionStatus OK (exchangelib's ok_payload) until it has seen the new mail's NewMailEvent and a
StatusEvent (the simulator's minute is shortened by the test), then answers Unsubscribe
(unsubscribe_payload), which ends a push subscription. It then fires another new mail and waits
QUIET seconds: a POST after the Unsubscribe is a failure. It prints one JSON object with what it saw.
Any failure is a traceback or a message and a non-zero exit status.
"""
import http.server
import json
import sys
import threading
import time
import urllib.request

from exchangelib import BASIC, DELEGATE, Account, Configuration, Credentials, Version
from exchangelib.services import SendNotification
from exchangelib.version import EXCHANGE_2016

url, user, password = sys.argv[1:4]
QUIET = 3.0
actions_url = url.rsplit("/EWS/", 1)[0] + "/sim/actions"

config = Configuration(service_endpoint=url, credentials=Credentials(user, password), auth_type=BASIC,
                       version=Version(build=EXCHANGE_2016))
account = Account("alice@example.com", config=config, autodiscover=False, access_type=DELEGATE)
parser = SendNotification(protocol=account.protocol)

lock = threading.Lock()
seen = []  # every event parsed, in order: {"type", "item_id", "subscription_id"}
posts = {"before_unsubscribe": 0, "after_unsubscribe": 0}
answered_unsubscribe = threading.Event()
errors = []


class Listener(http.server.BaseHTTPRequestHandler):
    def do_POST(self):
        body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
        with lock:
            if answered_unsubscribe.is_set():
                posts["after_unsubscribe"] += 1
            else:
                posts["before_unsubscribe"] += 1
            try:
                for notification in parser.parse(body):
                    for e in notification.events:
                        seen.append({"type": type(e).__name__,
                                     "item_id": getattr(getattr(e, "item_id", None), "id", None),
                                     "subscription_id": notification.subscription_id})
            except Exception as exc:  # report, and keep the subscription alive for the diagnosis
                errors.append(f"{type(exc).__name__}: {exc}")
            types = {e["type"] for e in seen}
            done = "NewMailEvent" in types and "StatusEvent" in types and not answered_unsubscribe.is_set()
            payload = parser.unsubscribe_payload() if done else parser.ok_payload()
        self.send_response(200)
        self.send_header("Content-Type", "text/xml; charset=utf-8")
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)
        if done:
            answered_unsubscribe.set()

    def log_message(self, *args):
        pass


server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Listener)
threading.Thread(target=server.serve_forever, daemon=True).start()
callback = f"http://127.0.0.1:{server.server_address[1]}/exchangelib/push"


def new_mail():
    req = urllib.request.Request(actions_url, data=json.dumps({"action": "new-mail", "folder": "inbox"}).encode(),
                                 headers={"Content-Type": "application/json"}, method="POST")
    with urllib.request.urlopen(req, timeout=30) as r:
        return r.read().decode()


sid, watermark = account.inbox.subscribe_to_push(callback_url=callback, status_frequency=1)
action = new_mail()
if not answered_unsubscribe.wait(60):
    raise SystemExit(f"push: no NewMailEvent and StatusEvent within 60s; saw {seen}, errors {errors}")
after = new_mail()
time.sleep(QUIET)
server.shutdown()

new = [e for e in seen if e["type"] == "NewMailEvent"]
if not all(e["item_id"] and e["item_id"] in action for e in new):
    raise SystemExit(f"push: NewMailEvent item ids {new} are not the ones the action reported: {action}")
if any(e["subscription_id"] != sid for e in seen):
    raise SystemExit(f"push: notifications for another subscription than {sid}: {seen}")
json.dump({"subscription_id": sid, "watermark": watermark, "events": seen, "posts": posts, "errors": errors}, sys.stdout)
print()
