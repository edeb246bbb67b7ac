// The check-in desk, enhanced (the page works without this script, through its forms).
//
// - Keeps a copy of the meeting's confirmed participants (names, organisations and a SHA-256
//   of each check-in code, never the codes) and searches it as one types.
// - Scans QR codes with the camera where the browser has BarcodeDetector.
// - Goes on checking in when the network is down: each check-in is queued on this device with
//   its time and a nonce, and sent through the batch endpoint when the network is back. The
//   nonce makes a resent check-in count once; a refused one stays on screen with its reason.
(() => {
  'use strict';
  const root = document.getElementById('desk');
  if (!root || !window.fetch || !window.localStorage) return;

  const token = root.dataset.token;
  const day = root.dataset.day;
  const lang = root.dataset.lang;
  const text = root.dataset;
  const categories = JSON.parse(root.dataset.categories || '{}');
  // The list and the queue apart: a list too big for the storage must not take the queue with it.
  const listKey = 'convene-desk-list-' + token.slice(0, 16);
  const queueKey = 'convene-desk-queue-' + token.slice(0, 16);
  const results = document.getElementById('desk-results');
  const arrivedList = document.getElementById('desk-arrived');
  const status = document.getElementById('desk-status');
  const offlineBanner = document.getElementById('desk-offline');
  const search = document.getElementById('q');

  let people = new Map();
  let queue = [];
  let refusals = [];
  let asOf = null;
  let loaded = false;
  let syncing = false;

  // --- the copy on this device ------------------------------------------------------------

  const read = (key) => {
    try { return JSON.parse(localStorage.getItem(key) || 'null'); } catch (e) { return null; }
  };
  const savedList = read(listKey);
  if (savedList && savedList.day === day) {
    people = new Map(savedList.people.map((p) => [p.id, p]));
    asOf = savedList.asOf;
    loaded = people.size > 0;
  }
  // Unsent check-ins are kept whatever their day: each is sent with its own time.
  queue = (read(queueKey) || []).map((item) => Object.assign(item, { sending: false }));

  function save() {
    try { localStorage.setItem(queueKey, JSON.stringify(queue)); } catch (e) { /* kept in memory */ }
    const copy = { day, asOf, people: Array.from(people.values()) };
    try { localStorage.setItem(listKey, JSON.stringify(copy)); } catch (e) { /* full: in memory */ }
  }

  // A revoked or expired link: nothing of the meeting stays on this device.
  let revoked = false;
  function forget() {
    revoked = true;
    localStorage.removeItem(listKey);
    localStorage.removeItem(queueKey);
    people = new Map();
    queue = [];
    loaded = false;
    results.replaceChildren();
    arrivedList.replaceChildren();
    say(text.tRevoked, false);
  }

  const fold = (s) => (s || '').normalize('NFD').replace(/[\u0300-\u036f]/g, '').toLowerCase();
  const normCode = (s) => (s || '').replace(/[\s-]/g, '').toUpperCase();

  async function digest(code) {
    if (!window.crypto || !crypto.subtle || !code) return null;
    const bytes = await crypto.subtle.digest('SHA-256', new TextEncoder().encode(code));
    return Array.from(new Uint8Array(bytes)).map((b) => b.toString(16).padStart(2, '0')).join('');
  }

  function nonce() {
    if (window.crypto && crypto.randomUUID) return crypto.randomUUID();
    const bytes = new Uint8Array(16);
    crypto.getRandomValues(bytes);
    return Array.from(bytes).map((b) => b.toString(16).padStart(2, '0')).join('');
  }

  async function fromServer(item) {
    return {
      id: item.id,
      name: item.full_name,
      organization: item.organization,
      country: item.country,
      category: item.category,
      codeHash: await digest(item.checkin_code),
      // The API gives the arrival of the day asked about, in the meeting's time.
      arrived: item.checked_in_at ? item.checked_in_at.substring(11, 16) : null,
      pending: false,
    };
  }

  // --- the server --------------------------------------------------------------------------

  function api(path, body) {
    const options = {
      method: body ? 'POST' : 'GET',
      headers: { Authorization: 'Bearer ' + token },
      cache: 'no-store',
      credentials: 'omit',
    };
    if (body) {
      options.headers['Content-Type'] = 'application/json';
      options.body = JSON.stringify(body);
    }
    return fetch(path, options);
  }

  async function loadAll() {
    const fresh = new Map();
    let cursor = null;
    let stamp = null;
    do {
      const query = '?limit=1000' + (cursor ? '&cursor=' + encodeURIComponent(cursor) : '');
      const response = await api('/api/v1/desk/participants' + query);
      if (response.status === 401) return forget();
      if (!response.ok) throw new Error('list ' + response.status);
      const page = await response.json();
      // The meeting's day turned (a desk left open overnight): start the new day afresh.
      if (page.day !== day) return window.location.reload();
      stamp = stamp || page.as_of;
      for (const item of page.items) fresh.set(item.id, await fromServer(item));
      cursor = page.next_cursor;
    } while (cursor);
    // Check-ins still queued here stay shown as arrived.
    for (const item of queue.filter((item) => item.day === day)) {
      const person = fresh.get(item.registration_id);
      if (person && !person.arrived) Object.assign(person, { arrived: item.time, pending: true });
    }
    people = fresh;
    asOf = stamp;
    loaded = true;
    save();
  }

  async function refresh() {
    if (!loaded) return loadAll();
    const response = await api('/api/v1/desk/participants?limit=1000&since=' + encodeURIComponent(asOf));
    if (response.status === 401) return forget();
    if (!response.ok) throw new Error('list ' + response.status);
    const page = await response.json();
    if (page.day !== day) return window.location.reload();
    if (page.next_cursor) return loadAll();
    for (const item of page.items) {
      const person = await fromServer(item);
      const known = people.get(item.id);
      if (known && known.pending && !person.arrived) Object.assign(person, { arrived: known.arrived, pending: true });
      people.set(item.id, person);
    }
    for (const id of page.removed) people.delete(id);
    asOf = page.as_of;
    save();
  }

  // --- what the desk sees -------------------------------------------------------------------

  function say(message, good) {
    status.replaceChildren();
    const box = document.createElement('div');
    box.className = 'notice ' + (good ? 'ok' : 'bad');
    const p = document.createElement('p');
    p.textContent = message;
    box.appendChild(p);
    for (const refusal of refusals) {
      const line = document.createElement('p');
      line.textContent = fill(text.tRefused, { name: refusal.name, reason: refusal.reason });
      box.appendChild(line);
    }
    refusals = [];
    status.appendChild(box);
  }

  function fill(template, values) {
    return Object.keys(values).reduce((s, key) => s.split('{' + key + '}').join(values[key]), template);
  }

  function showQueue() {
    if (queue.length === 0 && navigator.onLine !== false) {
      offlineBanner.hidden = true;
      return;
    }
    offlineBanner.hidden = false;
    offlineBanner.textContent = queue.length === 0
      ? text.tOfflineNone
      : fill(queue.length === 1 ? text.tOfflineOne : text.tOfflineMany, { n: queue.length });
  }

  let regionNames = null;
  try { regionNames = new Intl.DisplayNames([lang], { type: 'region' }); } catch (e) { /* codes */ }

  function row(person) {
    const li = document.createElement('li');
    li.className = 'person';
    li.dataset.id = person.id;
    const who = document.createElement('div');
    who.className = 'who';
    const name = document.createElement('strong');
    name.textContent = person.name;
    const details = document.createElement('span');
    details.className = 'muted';
    const country = regionNames ? regionNames.of(person.country) : person.country;
    details.textContent = [person.organization, country, categories[person.category] || person.category].join(' · ');
    who.append(name, document.createElement('br'), details);
    li.appendChild(who);
    const button = document.createElement('button');
    button.type = 'button';
    if (person.arrived) {
      const badge = document.createElement('span');
      badge.className = 'badge ' + (person.pending ? 'warn' : 'ok');
      badge.textContent = fill(text.tArrivedAt, { time: person.arrived });
      li.appendChild(badge);
      button.className = 'secondary';
      button.textContent = text.tUndo;
      button.addEventListener('click', () => undo(person.id));
    } else {
      button.textContent = text.tCheckIn;
      button.addEventListener('click', () => checkIn({ registration_id: person.id }, person));
    }
    li.appendChild(button);
    return li;
  }

  function showCount() {
    const count = document.getElementById('desk-count');
    const arrived = Array.from(people.values()).filter((p) => p.arrived).length;
    const template = arrived === 1 ? text.tCountOne : text.tCountMany;
    count.textContent = fill(template, { n: arrived, total: people.size });
  }

  function showArrived() {
    const arrived = Array.from(people.values())
      .filter((p) => p.arrived)
      .sort((a, b) => (a.arrived < b.arrived ? 1 : -1))
      .slice(0, 50);
    arrivedList.replaceChildren(...arrived.map(row));
    showCount();
  }

  async function showResults() {
    const none = document.getElementById('desk-none');
    if (none) none.remove();
    const wanted = search.value.trim();
    if (wanted.length < 2) {
      results.replaceChildren();
      return;
    }
    const folded = fold(wanted);
    const code = normCode(wanted);
    const hash = code.length >= 20 ? await digest(code) : null;
    const found = Array.from(people.values())
      .filter((p) => (hash && p.codeHash === hash)
        || fold(p.name).includes(folded) || fold(p.organization).includes(folded))
      .sort((a, b) => fold(a.name).localeCompare(fold(b.name)))
      .slice(0, 30);
    results.replaceChildren(...found.map(row));
    if (found.length === 0) {
      const p = document.createElement('p');
      p.id = 'desk-none';
      p.textContent = text.tNoMatch;
      results.after(p);
    }
  }

  function showAll() {
    showResults();
    showArrived();
    showQueue();
  }

  // --- checking in ------------------------------------------------------------------------

  function localTime() {
    const now = new Date();
    return String(now.getHours()).padStart(2, '0') + ':' + String(now.getMinutes()).padStart(2, '0');
  }

  function reason(answer, statusCode) {
    const error = answer && answer.errors && answer.errors[0] ? answer.errors[0] : {};
    if (statusCode === 409) return text.tNotConfirmed;
    if (error.code === 'in_the_future') return text.tClock;
    if (error.field === 'at') return text.tNotDay;
    return text.tUnknown;
  }

  // Keeps a check-in on this device; `scan` may already carry the nonce and time it was sent
  // with, so that a request that reached the server after all counts once.
  function queueScan(scan, person) {
    if (person && person.arrived) {
      say(fill(text.tAlready, { name: person.name, time: person.arrived }), false);
      return;
    }
    const time = localTime();
    const queued = Object.assign({ at: new Date().toISOString(), nonce: nonce() }, scan,
      { name: person ? person.name : '?', time, day });
    queue.push(queued);
    if (person) Object.assign(person, { arrived: time, pending: true });
    save();
    say(fill(text.tQueued, { name: person ? person.name : scan.code }), true);
    showAll();
  }

  async function checkIn(item, person) {
    const scan = Object.assign({ nonce: nonce(), at: new Date().toISOString() }, item);
    if (navigator.onLine === false) return queueScan(scan, person);
    let response;
    try {
      response = await api('/api/v1/desk/check-ins', scan);
    } catch (e) {
      return queueScan(scan, person);
    }
    if (response.status === 401) return forget();
    // The server could not record it now: kept and sent again, under the same nonce.
    if (response.status >= 500) return queueScan(scan, person);
    const answer = await response.json().catch(() => null);
    if (response.ok) {
      const fresh = await fromServer(answer.registration);
      people.set(fresh.id, fresh);
      save();
      let template = answer.first ? text.tCheckedIn : text.tAlready;
      if (!fresh.arrived) template = text.tNotRecorded;
      say(fill(template, { name: fresh.name, time: fresh.arrived || '' }), answer.first);
    } else {
      say(reason(answer, response.status), false);
    }
    showAll();
  }

  async function undo(id) {
    const person = people.get(id);
    const queued = queue.findIndex((item) => item.registration_id === id && !item.sending);
    if (queued >= 0) {
      // Never sent: taking it back is enough.
      queue.splice(queued, 1);
      Object.assign(person, { arrived: null, pending: false });
    } else {
      let response;
      try {
        response = await api('/api/v1/desk/check-ins/undo', { registration_id: id });
      } catch (e) {
        say(text.tTryAgain, false);
        return;
      }
      if (response.status === 401) return forget();
      if (!response.ok) {
        say(text.tTryAgain, false);
        return;
      }
      const fresh = await fromServer(await response.json());
      people.set(id, fresh);
    }
    save();
    say(fill(text.tUndone, { name: person ? person.name : '' }), true);
    showAll();
  }

  async function sync() {
    if (syncing || revoked || queue.length === 0 || navigator.onLine === false) return;
    syncing = true;
    const sending = queue.slice(0, 1000);
    sending.forEach((item) => { item.sending = true; });
    try {
      const items = sending.map((item) => {
        const sent = { at: item.at, nonce: item.nonce };
        if (item.registration_id) sent.registration_id = item.registration_id;
        else sent.code = item.code;
        return sent;
      });
      const response = await api('/api/v1/desk/check-ins/batch', { items });
      if (response.status === 401) return forget();
      if (!response.ok) throw new Error('batch ' + response.status);
      const answer = await response.json();
      const done = new Set();
      answer.results.forEach((result, i) => {
        const item = sending[i];
        if (result.status >= 500) return; // kept, sent again
        done.add(item.nonce);
        const person = people.get(item.registration_id)
          || (result.registration && people.get(result.registration.id));
        if (result.status === 200) {
          const arrived = result.registration.checked_in_at;
          if (person) Object.assign(person, { arrived: arrived ? arrived.substring(11, 16) : null, pending: false });
        } else {
          refusals.push({ name: item.name, reason: reason(result, result.status) });
          if (person) Object.assign(person, { arrived: null, pending: false });
        }
      });
      queue = queue.filter((item) => !done.has(item.nonce));
      save();
      if (queue.length === 0) say(text.tSynced, refusals.length === 0);
    } catch (e) {
      // Still offline, or the server busy: the queue waits.
    } finally {
      queue.forEach((item) => { item.sending = false; });
      syncing = false;
      showAll();
    }
  }

  // --- the page's own controls ----------------------------------------------------------------

  document.getElementById('desk-search').addEventListener('submit', (event) => {
    if (!loaded) return;
    event.preventDefault();
    showResults();
  });
  search.addEventListener('input', () => { if (loaded) showResults(); });

  // The server's forms, once the copy is here: checked in and undone through the API instead.
  root.addEventListener('submit', (event) => {
    const form = event.target;
    if (!loaded || form.id === 'desk-search') return;
    const id = form.elements.registration_id && form.elements.registration_id.value;
    if (!id) return;
    event.preventDefault();
    if (form.action.endsWith('/undo')) undo(id);
    else checkIn({ registration_id: id }, people.get(id));
  });

  window.addEventListener('online', () => { showQueue(); sync(); });
  window.addEventListener('offline', showQueue);

  // --- the camera -----------------------------------------------------------------------------

  const scanButton = document.getElementById('desk-scan');
  const scanner = document.getElementById('desk-scanner');
  const video = document.getElementById('desk-video');
  let stream = null;
  let lastCode = null;
  let lastAt = 0;

  async function scanned(raw) {
    const code = normCode(raw);
    const now = Date.now();
    if (code === lastCode && now - lastAt < 4000) return;
    lastCode = code;
    lastAt = now;
    const hash = await digest(code);
    const person = Array.from(people.values()).find((p) => hash && p.codeHash === hash);
    checkIn(person ? { registration_id: person.id } : { code }, person);
  }

  function stopScanning() {
    if (stream) stream.getTracks().forEach((track) => track.stop());
    stream = null;
    scanner.hidden = true;
    scanButton.hidden = false;
  }

  if ('BarcodeDetector' in window && navigator.mediaDevices && navigator.mediaDevices.getUserMedia) {
    scanButton.hidden = false;
    scanButton.addEventListener('click', async () => {
      try {
        stream = await navigator.mediaDevices.getUserMedia({ video: { facingMode: 'environment' } });
      } catch (e) {
        scanButton.hidden = true;
        return;
      }
      video.srcObject = stream;
      await video.play();
      scanner.hidden = false;
      scanButton.hidden = true;
      const detector = new window.BarcodeDetector({ formats: ['qr_code'] });
      const look = async () => {
        if (!stream) return;
        try {
          const codes = await detector.detect(video);
          if (codes.length) await scanned(codes[0].rawValue);
        } catch (e) { /* a frame not ready */ }
        setTimeout(look, 350);
      };
      look();
    });
    document.getElementById('desk-stop').addEventListener('click', stopScanning);
  }

  // --- start ------------------------------------------------------------------------------------

  async function tick() {
    if (revoked) return;
    try {
      if (queue.length) await sync();
      if (navigator.onLine !== false) await refresh();
    } catch (e) { /* offline for now */ }
    showAll();
  }
  root.dataset.ready = 'loading';
  tick().then(() => { root.dataset.ready = loaded ? 'yes' : 'no'; });
  setInterval(tick, 15000);
})();
