/* NeverMissCall messaging pages: keep the inbox and a conversation thread up to date.
 *
 * Hand-written, no framework. Polls the JSON API the pages are built from and rebuilds only what
 * changed. Text is always inserted with textContent, so message bodies can never become markup.
 * When a conversation's state or whether you may text changes (takeover elsewhere, STOP, compliance
 * approval), the page reloads so its buttons and composer are right; a draft survives the reload.
 */
(function () {
  "use strict";

  var THREAD_INTERVAL_MS = 1500;
  var INBOX_INTERVAL_MS = 3000;
  var MAX_BACKOFF_MS = 30000;

  function el(tag, attrs, children) {
    var node = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (name) {
      var value = attrs[name];
      if (value === null || value === undefined || value === false) return;
      if (name === "text") node.textContent = String(value);
      else if (name === "className") node.className = value;
      else node.setAttribute(name, String(value));
    });
    (children || []).forEach(function (child) {
      if (child === null || child === undefined) return;
      node.appendChild(typeof child === "string" ? document.createTextNode(child) : child);
    });
    return node;
  }

  /* The page's own interval when the server sets one (PAGE_POLL_INTERVAL_MS), else the default. */
  function intervalOf(root, defaultMs) {
    var ms = parseInt(root.getAttribute("data-poll-ms"), 10);
    return ms > 0 ? ms : defaultMs;
  }

  function poll(url, intervalMs, onData) {
    var delay = intervalMs;
    function tick() {
      if (document.hidden) { window.setTimeout(tick, intervalMs); return; }
      fetch(url, { headers: { Accept: "application/json" }, credentials: "same-origin" })
        .then(function (response) {
          if (response.status === 401 || response.status === 403 || response.status === 404) return null;
          if (!response.ok) throw new Error("HTTP " + response.status);
          return response.json();
        })
        .then(function (data) {
          if (data === null) return; // signed out or gone: stop quietly
          delay = intervalMs;
          onData(data);
          window.setTimeout(tick, delay);
        })
        .catch(function () {
          delay = Math.min(delay * 2, MAX_BACKOFF_MS); // the server may be restarting; try again later
          window.setTimeout(tick, delay);
        });
    }
    window.setTimeout(tick, intervalMs);
  }

  /* ---- conversation thread ---------------------------------------------------------------- */
  function messageItem(m) {
    if (m.direction === "event") {
      return el("li", { className: "msg msg-event", "data-testid": "thread-event", "data-message-id": m.id }, [
        el("span", { className: "msg-event-text", text: m.body }), " · ",
        el("time", { datetime: m.created_at, text: m.created_at_label })
      ]);
    }
    var meta = el("div", { className: "msg-meta" }, [
      el("span", { className: "msg-author", text: m.author_label }), " · ",
      el("time", { datetime: m.created_at, text: m.created_at_label })
    ]);
    if (m.status_label) {
      meta.appendChild(document.createTextNode(" · "));
      meta.appendChild(el("span", { className: "msg-status", "data-testid": "message-status", text: m.status_label }));
    }
    return el("li", {
      className: "msg msg-" + m.direction + " msg-status-" + m.status,
      "data-testid": "message", "data-message-id": m.id, "data-direction": m.direction, "data-status": m.status
    }, [
      el("div", { className: "msg-bubble" }, [el("p", { className: "msg-body", "data-testid": "message-body", text: m.body })]),
      meta,
      m.status_reason ? el("p", { className: "msg-note", "data-testid": "message-note", text: m.status_reason }) : null
    ]);
  }

  // What the thread shows, reduced to what can change: compared with the API's answer on every poll.
  function threadSignatureOfData(messages) {
    return messages.map(function (m) {
      return m.id + ":" + (m.direction === "event" ? "" : m.status) + ":" + (m.status_reason || "") + ":" + m.created_at_label;
    }).join("|");
  }

  function threadSignatureOfDom(thread) {
    return Array.prototype.map.call(thread.children, function (li) {
      var time = li.querySelector("time");
      var note = li.querySelector(".msg-note");  // a reason can change while the status stays ("Retrying: ...")
      return li.getAttribute("data-message-id") + ":" + (li.getAttribute("data-status") || "") + ":" +
        (note ? note.textContent : "") + ":" + (time ? time.textContent : "");
    }).join("|");
  }

  function startConversation(root) {
    var thread = document.getElementById("thread");
    var draftBox = document.getElementById("composer-body");
    var draftKey = "nmc-draft-" + root.getAttribute("data-conversation-id");
    if (draftBox && !draftBox.disabled && !draftBox.value) {
      var saved = window.sessionStorage.getItem(draftKey);
      if (saved) draftBox.value = saved;
    }
    window.sessionStorage.removeItem(draftKey);
    var composerForm = document.getElementById("composer");
    if (composerForm) {
      composerForm.addEventListener("submit", function () { window.sessionStorage.removeItem(draftKey); });
    }
    var scrollToEnd = function () { thread.scrollTop = thread.scrollHeight; };
    scrollToEnd();

    poll(root.getAttribute("data-poll-url"), intervalOf(root, THREAD_INTERVAL_MS), function (data) {
      var canSend = data.composer.can_send ? "true" : "false";
      if (data.state !== root.getAttribute("data-state") || canSend !== root.getAttribute("data-can-send")) {
        if (draftBox && draftBox.value) window.sessionStorage.setItem(draftKey, draftBox.value);
        // A refused form's answer (POST .../takeover, .../release, .../messages) is not reloaded: the browser
        // would post the form again and do what the app had just refused, now that it may.
        var pagePath = "/conversations/" + root.getAttribute("data-conversation-id");
        if (window.location.pathname === pagePath) window.location.reload();
        else window.location.replace(pagePath);
        return;
      }
      if (threadSignatureOfData(data.messages) === threadSignatureOfDom(thread)) return;
      var atEnd = thread.scrollHeight - thread.scrollTop - thread.clientHeight < 40;
      var fragment = document.createDocumentFragment();
      data.messages.forEach(function (m) { fragment.appendChild(messageItem(m)); });
      thread.replaceChildren(fragment);
      var empty = document.querySelector(".thread-empty");
      if (empty && data.messages.length) empty.remove();
      if (atEnd) scrollToEnd();
    });
  }

  /* ---- inbox -------------------------------------------------------------------------------- */
  function inboxRow(c) {
    var caller = el("td", { className: "inbox-caller" }, [el("a", { href: "/conversations/" + c.id, text: c.customer_phone })]);
    if (c.needs_attention) {
      caller.appendChild(document.createTextNode(" "));
      caller.appendChild(el("span", {
        className: "badge badge-attention", "data-testid": "needs-attention",
        title: c.attention_reason || "Needs a reply from you", text: "Needs you"
      }));
    }
    var preview = el("td", { className: "inbox-preview", "data-testid": "conversation-preview" });
    if (c.last_message) {
      preview.appendChild(el("span", { className: "muted", text: c.last_message.author_label + ":" }));
      preview.appendChild(document.createTextNode(" " + c.last_message.body));
    }
    return el("tr", {
      "data-testid": "conversation-row", "data-conversation-id": c.id, "data-state": c.state,
      className: c.needs_attention ? "row-attention" : null
    }, [
      caller,
      preview,
      el("td", {}, [el("span", {
        className: "badge badge-" + c.state, "data-testid": "conversation-state", "data-state": c.state,
        title: c.state_description, text: c.state
      })]),
      el("td", { className: "inbox-time" }, [el("time", { datetime: c.last_activity_at, text: c.last_activity_label })])
    ]);
  }

  function inboxTable(conversations) {
    var head = el("thead", {}, [el("tr", {}, ["Caller", "Last message", "State", "Updated"].map(function (label) {
      return el("th", { scope: "col", text: label });
    }))]);
    var body = el("tbody", {}, conversations.map(inboxRow));
    return el("table", { "aria-label": "Conversations", className: "inbox-table" }, [head, body]);
  }

  function squash(text) { return text.replace(/\s+/g, " ").trim(); }

  // What the inbox shows, reduced to what can change: compared with the API's answer on every poll.
  function inboxSignatureOfData(conversations) {
    return conversations.map(function (c) {
      var preview = c.last_message ? c.last_message.author_label + ": " + c.last_message.body : "";
      return [c.id, c.state, c.needs_attention, squash(preview), c.last_activity_label].join("\u0001");
    }).join("\u0002");
  }

  function inboxSignatureOfDom(root) {
    return Array.prototype.map.call(root.querySelectorAll("[data-testid=conversation-row]"), function (row) {
      var preview = row.querySelector("[data-testid=conversation-preview]");
      var time = row.querySelector("time");
      return [row.getAttribute("data-conversation-id"), row.getAttribute("data-state"),
        row.querySelector("[data-testid=needs-attention]") !== null,
        squash(preview ? preview.textContent : ""), time ? time.textContent : ""].join("\u0001");
    }).join("\u0002");
  }

  function startInbox(root) {
    poll(root.getAttribute("data-poll-url"), intervalOf(root, INBOX_INTERVAL_MS), function (data) {
      if (!data.conversations.length) return; // keep the server-rendered empty state
      if (inboxSignatureOfData(data.conversations) === inboxSignatureOfDom(root)) return;
      root.replaceChildren(inboxTable(data.conversations));
    });
  }

  function start() {
    var conversation = document.getElementById("conversation");
    if (conversation) startConversation(conversation);
    var inbox = document.getElementById("inbox");
    if (inbox) startInbox(inbox);
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();
})();
