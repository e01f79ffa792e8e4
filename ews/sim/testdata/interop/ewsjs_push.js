// Interop check: ews-javascript-api's push subscription against ewsmon's simulator.
//
// Run by ews/sim/interop_test.go with node and ews-javascript-api (installed from npm by .ci/run into
// $EWSJS_MODULES, see docs/interop.md):
//
//     node ewsjs_push.js URL USER PASSWORD
//
// ews-javascript-api builds the Subscribe request (ExchangeService.SubscribeToPushNotifications, Basic
// credentials, Exchange2016); it has no listener of its own (its maintainer: "you have to implement public
// facing receiver", gautamsi/ews-javascript-api#66), so this script runs one on 127.0.0.1 as such a user
// would: it answers SubscriptionStatus OK until the new mail's NewMailEvent has come, then Unsubscribe,
// fires another new mail and waits QUIET ms for POSTs that should not come. It prints one JSON object.
"use strict";
const http = require("http");
const ews = require("ews-javascript-api");

const [url, user, password] = process.argv.slice(2);
const QUIET = 3000;
const actionsURL = url.replace(/\/EWS\/.*$/, "/sim/actions");

function answer(status) {
  return '<?xml version="1.0" encoding="utf-8"?>' +
    '<soap:Envelope xmlns:soap="http://schemas.xmlsoap.org/soap/envelope/"><soap:Body>' +
    '<SendNotificationResult xmlns="http://schemas.microsoft.com/exchange/services/2006/messages">' +
    "<SubscriptionStatus>" + status + "</SubscriptionStatus></SendNotificationResult></soap:Body></soap:Envelope>";
}

function newMail() {
  return fetch(actionsURL, {method: "POST", headers: {"Content-Type": "application/json"},
    body: JSON.stringify({action: "new-mail", folder: "inbox"})}).then(r => r.text());
}

const out = {events: [], posts: {before_unsubscribe: 0, after_unsubscribe: 0}, subscription_ids: []};
let unsubscribed = false;
let sawNewMail;
const newMailSeen = new Promise(resolve => { sawNewMail = resolve; });

const listener = http.createServer((req, res) => {
  let body = "";
  req.on("data", chunk => { body += chunk; });
  req.on("end", () => {
    if (unsubscribed) out.posts.after_unsubscribe++; else out.posts.before_unsubscribe++;
    for (const m of body.matchAll(/<(?:\w+:)?(\w+Event)>/g)) out.events.push(m[1]);
    for (const m of body.matchAll(/<(?:\w+:)?SubscriptionId>([^<]*)</g)) out.subscription_ids.push(m[1]);
    const done = !unsubscribed && out.events.includes("NewMailEvent");
    res.writeHead(200, {"Content-Type": "text/xml; charset=utf-8"});
    res.end(answer(done ? "Unsubscribe" : "OK"));
    if (done) { unsubscribed = true; sawNewMail(); }
  });
});

function fail(msg) {
  process.stderr.write(msg + "\n");
  process.exit(1);
}

listener.listen(0, "127.0.0.1", async () => {
  try {
    const svc = new ews.ExchangeService(ews.ExchangeVersion.Exchange2016);
    svc.Credentials = new ews.WebCredentials(user, password);
    svc.Url = new ews.Uri(url);
    const callback = new ews.Uri("http://127.0.0.1:" + listener.address().port + "/ewsjs/push");
    const sub = await svc.SubscribeToPushNotifications([new ews.FolderId(ews.WellKnownFolderName.Inbox)], callback, 1, null,
      ews.EventType.NewMail, ews.EventType.Created, ews.EventType.Modified);
    out.subscription_id = sub.Id;
    const action = await newMail();
    const timer = setTimeout(() => fail("push: no NewMailEvent within 60s; saw " + JSON.stringify(out)), 60000);
    await newMailSeen;
    clearTimeout(timer);
    out.action = action;
    await newMail();
    await new Promise(r => setTimeout(r, QUIET));
    listener.close();
    process.stdout.write(JSON.stringify(out) + "\n");
    process.exit(0);
  } catch (e) {
    fail("ews-javascript-api: " + (e && (e.stack || e.message || JSON.stringify(e))));
  }
});
