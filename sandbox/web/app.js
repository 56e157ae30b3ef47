'use strict';
// The sandbox page: one chat window per simulated DingTalk conversation, fed by polling the sandbox
// API (simple and robust across server restarts), plus a side panel with the plugin's state.
(function () {
  const POLL_MS = 500;
  const STATE_MS = 2000;
  const windows = new Map(); // window key -> { def, body, items: Map(id -> { el, sig }) }
  let defs = null;

  // ---- a tiny markdown renderer: everything is HTML-escaped FIRST, then a few patterns become tags.
  const escapeHtml = (s) => String(s).replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]);

  function inline(escaped) {
    // Code spans are cut out first so nothing inside them is formatted.
    return escaped.split(/(`[^`]+`)/g).map((part) => {
      if (/^`[^`]+`$/.test(part)) return '<code>' + part.slice(1, -1) + '</code>';
      return part
        .replace(/\[([^\]]+)\]\(((?:https?:\/\/|\/)[^\s)]+)\)/g, '<a href="$2" target="_blank" rel="noopener noreferrer">$1</a>')
        .replace(/\*\*([^*]+)\*\*/g, '<strong>$1</strong>')
        .replace(/(^|[^*])\*([^*\s][^*]*)\*/g, '$1<em>$2</em>');
    }).join('');
  }

  function renderMarkdown(source) {
    const lines = escapeHtml(source || '').split('\n');
    const out = [];
    let para = [];
    let list = null; // 'ul' | 'ol'
    const flushPara = () => { if (para.length) out.push('<p>' + para.map(inline).join('<br>') + '</p>'); para = []; };
    const closeList = () => { if (list) out.push('</' + list + '>'); list = null; };
    for (let i = 0; i < lines.length; i++) {
      const line = lines[i];
      if (/^\s*```/.test(line)) {
        flushPara(); closeList();
        const code = [];
        while (++i < lines.length && !/^\s*```/.test(lines[i])) code.push(lines[i]);
        out.push('<pre><code>' + code.join('\n') + '</code></pre>');
        continue;
      }
      const item = /^\s*(?:([-*+])|(\d+)\.)\s+(.*)$/.exec(line);
      if (item) {
        flushPara();
        const kind = item[1] ? 'ul' : 'ol';
        if (list !== kind) { closeList(); out.push('<' + kind + '>'); list = kind; }
        out.push('<li>' + inline(item[3]) + '</li>');
        continue;
      }
      closeList();
      const heading = /^(#{1,6})\s+(.*)$/.exec(line);
      if (heading) { flushPara(); out.push('<h4>' + inline(heading[2]) + '</h4>'); continue; }
      if (line.trim() === '') { flushPara(); continue; }
      para.push(line);
    }
    flushPara(); closeList();
    return out.join('');
  }

  // ---- what DingTalk would show for each kind of message the bot sent.
  function viewOf(m) {
    const c = m.content || {};
    if (m.kind === 'webhook') {
      const b = c[c.msgtype] || {};
      if (c.msgtype === 'text') return { text: b.content };
      if (c.msgtype === 'markdown') return { title: b.title, markdown: b.text };
      if (c.msgtype === 'actionCard') {
        const buttons = Array.isArray(b.btns) ? b.btns.map((x) => ({ title: x.title, url: x.actionURL })) : b.singleURL ? [{ title: b.singleTitle, url: b.singleURL }] : [];
        return { title: b.title, markdown: b.text, buttons };
      }
      if (c.msgtype === 'link') return { title: b.title, text: b.text, buttons: [{ title: 'Open link', url: b.messageUrl }] };
      return { text: JSON.stringify(c) };
    }
    if (m.kind === 'robot') {
      const key = m.msgKey || '';
      if (key === 'sampleText') return { text: c.content };
      if (key === 'sampleMarkdown') return { title: c.title, markdown: c.text };
      if (key === 'sampleLink') return { title: c.title, text: c.text, buttons: [{ title: 'Open link', url: c.messageUrl }] };
      if (key === 'sampleActionCard') return { title: c.title, markdown: c.text, buttons: [{ title: c.singleTitle, url: c.singleURL }] };
      if (/^sampleActionCard[2-6]$/.test(key)) {
        const buttons = [];
        for (let n = 1; n <= 5; n++) {
          const title = c['actionTitle' + n] || c['buttonTitle' + n];
          const url = c['actionURL' + n] || c['buttonUrl' + n];
          if (title) buttons.push({ title, url });
        }
        return { title: c.title, markdown: c.text, buttons };
      }
      return { title: key, text: JSON.stringify(c) };
    }
    // Interactive / AI card: show the streamed field (or the usual text fields) as markdown.
    const params = c.cardParamMap || {};
    const key = (c.stream && c.stream.key) || ['content', 'markdown', 'text', 'msgContent'].find((k) => typeof params[k] === 'string');
    const streaming = !!(c.stream && !c.stream.finalized);
    // The answer template's callback buttons (Confirm / Reject), bound to card variables.
    const cardButtons = params.confirmActionUrl && params.rejectActionUrl
      ? [{ title: params.confirmTitle || 'Confirm', params: { actionUrl: params.confirmActionUrl }, actionId: 'confirm' }, { title: params.rejectTitle || 'Reject', params: { actionUrl: params.rejectActionUrl }, actionId: 'reject' }]
      : [];
    if (key) return { card: true, title: params.title, markdown: params[key], streaming, failed: !!(c.stream && c.stream.error), cardButtons };
    return { card: true, text: Object.entries(params).map(([k, v]) => k + ': ' + v).join('\n'), streaming };
  }

  // ---- DOM helpers (text always via textContent; markdown via the escaping renderer above).
  function el(tag, attrs, children) {
    const node = document.createElement(tag);
    for (const [k, v] of Object.entries(attrs || {})) {
      if (k === 'text') node.textContent = v;
      else if (k === 'class') node.className = v;
      else if (v !== undefined && v !== null && v !== false) node.setAttribute(k, v === true ? '' : v);
    }
    for (const child of children || []) if (child) node.appendChild(child);
    return node;
  }

  async function api(path, body) {
    const response = await fetch('/sandbox/api/' + path, body ? { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) } : { cache: 'no-store' });
    const data = await response.json().catch(() => ({}));
    if (!response.ok) throw new Error(data.message || data.delivery || 'HTTP ' + response.status);
    return data;
  }

  // ---- chat windows
  function buildWindow(def, users) {
    const body = el('div', { class: 'chat-body', 'data-testid': 'messages-' + def.key });
    const input = el('input', { type: 'text', placeholder: 'Message the bot…', 'data-testid': 'input-' + def.key });
    const send = el('button', { type: 'button', text: 'Send', 'data-testid': 'send-' + def.key });
    const status = el('div', { class: 'status', 'data-testid': 'status-' + def.key });
    let userSelect = null;
    let atBot = null;
    const opts = el('div', { class: 'opts' });
    if (def.conversation === 'group') {
      userSelect = el('select', { 'data-testid': 'user-' + def.key }, users.map((u) => el('option', { value: u.id, text: u.nick })));
      atBot = el('input', { type: 'checkbox', checked: true, 'data-testid': 'atbot-' + def.key });
      opts.append(el('label', {}, [document.createTextNode('As '), userSelect]), el('label', {}, [atBot, document.createTextNode(' @ the bot')]));
    } else {
      const nick = (users.find((u) => u.id === def.userId) || {}).nick || def.userId;
      opts.append(el('span', { text: 'As ' + nick + ' (1:1 with the bot)' }));
    }
    const submit = async () => {
      const text = input.value.trim();
      if (!text) return;
      send.disabled = true;
      status.textContent = 'sending…';
      try {
        const result = await api('send', {
          integrationId: def.integrationId,
          conversation: def.conversation,
          userId: userSelect ? userSelect.value : def.userId,
          text,
          atBot: atBot ? atBot.checked : true,
        });
        input.value = '';
        status.textContent = 'delivered: ' + result.delivery;
      } catch (error) {
        status.textContent = 'not delivered: ' + error.message;
      } finally {
        send.disabled = false;
        poll();
      }
    };
    send.addEventListener('click', submit);
    input.addEventListener('keydown', (e) => { if (e.key === 'Enter' && !e.isComposing) submit(); });
    const head = el('div', { class: 'chat-head' }, [el('span', { text: def.title }), el('span', { class: 'mode', text: def.conversationId || def.userId })]);
    const node = el('section', { class: 'chat', 'data-testid': 'window-' + def.key }, [head, body, el('div', { class: 'composer' }, [opts, el('div', { class: 'line' }, [input, send]), status])]);
    document.getElementById('windows').appendChild(node);
    windows.set(def.key, { def, body, items: new Map(), userSelect });
  }

  function windowKeyOf(m) {
    const def = defs.find((w) => w.clientId === m.clientId && m.target &&
      ((w.conversation === 'private' && m.target.type === 'user' && m.target.id === w.userId) ||
       (w.conversation === 'group' && m.target.type === 'group' && m.target.id === w.conversationId)));
    return def && def.key;
  }

  function openAction(link, url) {
    // The signed link is the credential; opening it (as a user's browser would) performs the action.
    if (!/^https?:\/\//i.test(url || '')) return;
    link.classList.add('done');
    // GET only shows the link's page; pressing its button POSTs the same URL, which is what this does.
    fetch(url, { method: 'POST', mode: 'no-cors', credentials: 'omit' }).then(() => (link.title = 'opened'), () => (link.title = 'could not open the link'));
  }

  function clickCard(m, b, button) {
    // A card button press: DingTalk calls the bot back with the presser's userId (the window's user).
    const win = windows.get(windowKeyOf(m));
    const userId = win && win.userSelect ? win.userSelect.value : win && win.def.userId;
    button.title = 'clicking…';
    api('card-click', { outTrackId: m.outTrackId, userId, actionId: b.actionId, params: b.params }).then(
      (r) => (button.title = r.delivered ? 'clicked as ' + userId : 'not delivered: ' + r.reason),
      (e) => (button.title = 'could not click: ' + e.message),
    );
  }

  // DingTalk shows an @-mention by the person's name, not their userId.
  let knownUsers = [];
  function withNicks(text) {
    let out = String(text);
    for (const u of knownUsers) if (u.id && u.nick) out = out.split('@' + u.id).join('@' + u.nick);
    return out;
  }

  function renderBot(m) {
    const view = viewOf(m);
    const recalled = m.status === 'recalled';
    const bubble = el('div', { class: 'bubble' + (view.card ? ' card' : '') + (recalled ? ' recalled' : ''), 'data-testid': 'bubble-bot', 'data-message-id': m.id, 'data-kind': m.kind, 'data-status': m.status });
    if (view.title && !view.markdown && !view.text) bubble.append(el('div', { class: 'title', text: view.title }));
    const content = el('div', { class: 'content' });
    if (view.markdown !== undefined) content.innerHTML = renderMarkdown(withNicks(view.markdown)); // escaped by renderMarkdown
    else content.textContent = view.text || '';
    bubble.append(content);
    if (view.buttons && view.buttons.length) {
      bubble.append(el('div', { class: 'actions' }, view.buttons.map((b) => {
        const link = el('a', { href: b.url, target: '_blank', rel: 'noopener noreferrer', 'data-testid': 'action-button', text: b.title || 'Open' });
        link.addEventListener('click', (e) => { e.preventDefault(); openAction(link, b.url); });
        return link;
      })));
    }
    if (view.cardButtons && view.cardButtons.length) {
      bubble.append(el('div', { class: 'actions' }, view.cardButtons.map((b) => {
        const button = el('button', { type: 'button', 'data-testid': 'card-button', text: b.title });
        button.addEventListener('click', () => clickCard(m, b, button));
        return button;
      })));
    }
    const badges = [];
    if (recalled) badges.push(el('span', { class: 'badge recalled', 'data-testid': 'recalled', text: 'recalled' }));
    if (view.streaming) badges.push(el('span', { class: 'badge streaming', text: 'streaming…' }));
    if (view.failed) badges.push(el('span', { class: 'badge recalled', text: 'failed' }));
    if (!recalled && m.status === 'updated') badges.push(el('span', { class: 'badge', text: 'updated' }));
    const who = el('div', { class: 'who', text: 'Bot · ' + m.kind + (m.msgKey ? ' · ' + m.msgKey : '') + ' · ' + new Date(m.sentAt).toLocaleTimeString() }, badges);
    return el('div', { class: 'row bot' }, [who, bubble]);
  }

  function renderUser(u) {
    const who = el('div', { class: 'who', text: u.nick + (u.atBot ? '' : ' (no @)') + ' · ' + new Date(u.sentAt).toLocaleTimeString() + ' · ' + u.delivery });
    const text = (u.windowKey.endsWith('group') && u.atBot ? '@bot ' : '') + u.text;
    return el('div', { class: 'row user' }, [who, el('div', { class: 'bubble', 'data-testid': 'bubble-user', 'data-message-id': u.id, text })]);
  }

  function applyMessages(data) {
    const entries = [];
    for (const u of data.user) entries.push({ key: u.windowKey, id: u.id, at: u.sentAt, sig: u.delivery, render: () => renderUser(u) });
    for (const m of data.bot) {
      const key = windowKeyOf(m);
      if (key) entries.push({ key, id: m.id, at: m.sentAt, sig: m.status + JSON.stringify(m.content), render: () => renderBot(m) });
    }
    entries.sort((a, b) => a.at - b.at);
    for (const entry of entries) {
      const win = windows.get(entry.key);
      const known = win.items.get(entry.id);
      if (known && known.sig === entry.sig) continue;
      const atBottom = win.body.scrollHeight - win.body.scrollTop - win.body.clientHeight < 40;
      const node = entry.render();
      if (known) known.el.replaceWith(node); // a card streamed, a message was recalled: re-render in place
      else win.body.appendChild(node);
      win.items.set(entry.id, { el: node, sig: entry.sig });
      if (atBottom || !known) win.body.scrollTop = win.body.scrollHeight;
    }
  }

  // ---- side panel
  function table(rows, columns, testid) {
    if (!rows || !rows.length) return el('div', { class: 'empty', 'data-testid': testid, text: 'none' });
    return el('table', { 'data-testid': testid }, [
      el('tr', {}, columns.map(([label]) => el('th', { text: label }))),
      ...rows.map((r) => el('tr', {}, columns.map(([, f]) => el('td', { text: String(f(r) ?? '') })))),
    ]);
  }
  const nameOf = (state, id) => ((state.integrations.find((i) => i.id === id) || {}).mode || id);
  const time = (v) => (v ? new Date(v).toLocaleTimeString() : '');

  function renderPanel(state) {
    const panel = document.getElementById('panel');
    const connections = state.integrations.map((i) => {
      const s = i.stream;
      const cls = s && s.state === 'connected' ? 'state-connected' : 'state-other';
      const line = i.mode === 'http'
        ? el('div', { text: i.name + ': webhook ' + i.webhookUrl })
        : el('div', {}, [document.createTextNode(i.name + ': '), el('span', { class: cls, text: s ? s.state : 'no status' }),
          document.createTextNode(s ? ' · reconnects ' + s.reconnectCount + (s.lastError ? ' · last error: ' + s.lastError : '') : ''),
          document.createTextNode(' · gateway sockets ' + i.gatewayConnections + ', pending pushes ' + i.gatewayPending)]);
      line.setAttribute('data-testid', 'connection-' + i.mode);
      return line;
    });
    const sp = state.spool;
    const spoolLine = el('div', { 'data-testid': 'spool', text: !sp ? 'no status' : !sp.enabled ? 'off' : sp.depth + ' event(s) waiting for the database, ' + sp.bytes + ' bytes' + (sp.lastError ? ' · last error: ' + sp.lastError : '') });
    panel.replaceChildren(
      el('h2', { text: 'Connections' }), ...connections,
      el('h2', { text: 'Intake spool' }), spoolLine,
      el('h2', { text: 'Queue (handoff jobs)' }), table(state.queue, [['integration', (r) => nameOf(state, r.integrationId)], ['status', (r) => r.status], ['jobs', (r) => r.count]], 'queue'),
      el('h2', { text: 'Refused senders' }), table(state.refusals || [], [['who', (r) => r.subjectId], ['where', (r) => r.conversationId], ['reason', (r) => r.reason], ['times', (r) => r.count]], 'refusals'),
      el('h2', { text: 'Stopped answers: ' + (state.stoppedRuns || 0) }),
      el('h2', { text: 'Dead letters' }), table(state.deadLetters, [['kind', (r) => r.kind], ['attempts', (r) => r.attempts], ['last error', (r) => r.lastError]], 'dead-letters'),
      el('h2', { text: 'Trigger bindings' }), table(state.triggerBindings, [['integration', (r) => nameOf(state, r.integrationId)], ['xpert', (r) => r.xpertId], ['enabled', (r) => r.enabled]], 'trigger-bindings'),
      el('h2', { text: 'Sessions' }), table(state.sessions, [['integration', (r) => nameOf(state, r.integrationId)], ['conversation', (r) => r.conversationId], ['sender', (r) => r.senderId], ['last active', (r) => time(r.lastActiveAt)], ['ended', (r) => time(r.endedAt)]], 'sessions'),
      el('h2', { text: 'Last inbound events' }), table(state.inbound, [['integration', (r) => nameOf(state, r.integrationId)], ['kind', (r) => r.kind], ['conversation', (r) => r.conversationId], ['at', (r) => time(r.receivedAt)]], 'inbound'),
      ...(state.stateErrors || []).map((e) => el('div', { class: 'error', text: e })),
    );
  }

  // ---- loops
  let polling = false;
  async function poll() {
    if (polling || !defs) return;
    polling = true;
    try {
      applyMessages(await api('messages'));
      document.getElementById('live').textContent = 'live · ' + new Date().toLocaleTimeString();
    } catch (error) {
      document.getElementById('live').textContent = 'offline: ' + error.message;
    } finally {
      polling = false;
    }
  }

  async function refreshState() {
    try {
      const state = await api('state');
      knownUsers = state.users || [];
      if (!defs) {
        defs = state.windows;
        for (const def of defs) buildWindow(def, state.users);
        setInterval(poll, POLL_MS);
        poll();
      }
      renderPanel(state);
    } catch (error) {
      document.getElementById('live').textContent = 'offline: ' + error.message;
    }
  }

  refreshState();
  setInterval(refreshState, STATE_MS);
})();
