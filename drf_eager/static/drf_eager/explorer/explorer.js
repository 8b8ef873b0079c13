/* The drf_eager shape explorer: no framework, no build step. The page's own endpoints
   (relative to it): endpoints/, schema/?serializer=, run/?url=&body=. */
"use strict";

(function () {
  const $ = (id) => document.getElementById(id);
  const form = $("shape");
  const endpointSelect = $("endpoint");
  const pathInput = $("path");
  const paramInputs = ["extra", "fields", "exclude"].map((part) => $(part));
  const queryInput = $("query");
  const bodyInput = $("body");
  const suggestions = $("suggestions");
  const schemas = new Map();
  let endpoints = [];
  let schema = null;
  let runNumber = 0;
  let timer = null;
  let completion = null; // {input, start, end, items, selected}

  // The endpoints and their schema ----------------------------------------------

  async function getJSON(url) {
    const response = await fetch(url, { credentials: "same-origin" });
    return response.json();
  }

  async function loadSchema(endpoint) {
    if (!schemas.has(endpoint.serializer)) {
      const url = "schema/?serializer=" + encodeURIComponent(endpoint.serializer);
      schemas.set(endpoint.serializer, await getJSON(url));
    }
    schema = schemas.get(endpoint.serializer);
    paramInputs.forEach((input) => {
      const name = schema.params[input.dataset.part];
      input.previousElementSibling.textContent = name;
    });
  }

  function fillPath(endpoint) {
    // A detail route's parameters start as 1: edit them in the path.
    return endpoint.path.replace(/\{[^}]+\}/g, "1");
  }

  function matchEndpoint(path) {
    return endpoints.findIndex((endpoint) => {
      const pattern = "^" + endpoint.path.replace(/[.*+?^$()|[\]\\]/g, "\\$&")
        .replace(/\\?\{[^}]+\\?\}/g, "[^/]+") + "$";
      return new RegExp(pattern).test(path);
    });
  }

  async function start() {
    endpoints = (await getJSON("endpoints/")).endpoints;
    endpoints.forEach((endpoint, index) => {
      const option = document.createElement("option");
      option.value = String(index);
      option.textContent = endpoint.path + (endpoint.action ? " (" + endpoint.action + ")" : "");
      endpointSelect.append(option);
    });
    if (!endpoints.length) {
      $("general-error").textContent = "No URL pattern is served by an EagerFieldsViewMixin view.";
      return;
    }
    const initial = new URL(form.dataset.initial || "/", window.location.href);
    let index = form.dataset.initial ? matchEndpoint(initial.pathname) : -1;
    if (index < 0) index = 0;
    endpointSelect.value = String(index);
    pathInput.value = index === matchEndpoint(initial.pathname)
      ? initial.pathname : fillPath(endpoints[index]);
    const rest = new URLSearchParams(initial.search);
    await loadSchema(endpoints[index]);
    paramInputs.forEach((input) => {
      const name = schema.params[input.dataset.part];
      input.value = rest.get(name) || "";
      rest.delete(name);
    });
    bodyInput.value = form.dataset.initialBody || "";
    queryInput.value = rest.toString();
    run();
  }

  // Running the request -------------------------------------------------------------

  function requestURL() {
    const params = new URLSearchParams();
    paramInputs.forEach((input) => {
      if (input.value.trim()) params.set(schema.params[input.dataset.part], input.value.trim());
    });
    new URLSearchParams(queryInput.value.trim()).forEach((value, key) => params.append(key, value));
    const query = params.toString().replace(/%2C/g, ",").replace(/%28/g, "(").replace(/%29/g, ")");
    return pathInput.value.trim() + (query ? "?" + query : "");
  }

  function scheduleRun() {
    clearTimeout(timer);
    timer = setTimeout(run, 250);
  }

  async function run() {
    if (!schema) return;
    const number = ++runNumber;
    const url = requestURL();
    const body = bodyInput.value.trim();
    let target = "run/?url=" + encodeURIComponent(url);
    if (body) target += "&body=" + encodeURIComponent(body);
    $("open").href = url;
    $("url").textContent = "GET " + url + (body ? "  with the JSON body " + body : "");
    let result;
    try {
      result = await getJSON(target);
    } catch (error) {
      result = { error: "The explorer could not run the request: " + error };
    }
    if (number === runNumber) show(result);
  }

  function show(result) {
    // The request the result shown belongs to (tests and tools wait for it).
    $("result").dataset.shown = result.url || "";
    document.querySelectorAll(".error[data-for]").forEach((element) => { element.textContent = ""; });
    $("general-error").textContent = "";
    const status = $("status");
    status.className = "badge";
    if (result.error) {
      status.textContent = "–";
      $("general-error").textContent = result.error + (result.traceback ? "\n" + result.traceback : "");
    } else {
      status.textContent = result.status + " " + result.reason;
      status.classList.add(result.status < 400 ? "ok" : "bad");
    }
    $("queries").textContent = result.queries === undefined ? "–" : String(result.queries);
    $("served").textContent = result.path ? "Path: " + result.path : "";
    $("response").textContent = result.data !== undefined && result.data !== null
      ? JSON.stringify(result.data, null, 2) : (result.content || "");
    const sql = $("sql");
    sql.replaceChildren(...(result.sql || []).map((statement) => {
      const item = document.createElement("li");
      const pre = document.createElement("pre");
      pre.textContent = statement;
      item.append(pre);
      return item;
    }));
    $("sql-count").textContent = String((result.sql || []).length);
    $("plan").textContent = (result.plan || []).join("\n") || (result.status >= 400 ? "none: the request was refused" : "none");
    $("loading").textContent = (result.loading || []).join("\n");
    $("shape-text").textContent = result.shape ? "fields=" + result.shape : "";
    if (result.status >= 400 && result.data && typeof result.data === "object") showErrors(result.data);
  }

  function showErrors(data) {
    const body = bodyInput.value.trim();
    Object.entries(data).forEach(([key, messages]) => {
      const part = Object.keys(schema.params).find((name) => schema.params[name] === key);
      const input = part && $(part);
      const list = Array.isArray(messages) ? messages : [typeof messages === "string" ? messages : JSON.stringify(messages)];
      let target = $("general-error");
      if (body && (part || key === "body")) target = document.querySelector('.error[data-for="body"]');
      else if (input) target = document.querySelector('.error[data-for="' + part + '"]');
      const lines = list.map((message) => {
        const position = /position (\d+)/.exec(message);
        if (input && !body && position) {
          // The position is 1-based: point at it under the parameter's value.
          return input.value.trim() + "\n" + " ".repeat(Number(position[1]) - 1) + "^ " + message;
        }
        return (target === $("general-error") ? key + ": " : "") + message;
      });
      target.textContent += (target.textContent ? "\n" : "") + lines.join("\n");
    });
  }

  // Completion ----------------------------------------------------------------------

  function levelOf(names) {
    // The serializer entry reached by following `names` from the root, or null.
    let label = schema.root;
    for (const name of names) {
      const entry = schema.serializers[label];
      const field = entry && [...entry.defaults, ...entry.extras].find((f) => f.name === name);
      if (!field || !field.nested) return null;
      label = field.nested;
    }
    return schema.serializers[label] || null;
  }

  function paramContext(text) {
    // The parents of the name being typed (through "(" groups and "." or "/" paths)
    // and where that name starts.
    const stack = [[]];
    let token = "";
    let tokenStart = 0;
    for (let i = 0; i < text.length; i++) {
      const ch = text[i];
      if (ch === "(" || ch === ")" || ch === ",") {
        if (ch === "(") stack.push(stack[stack.length - 1].concat(splitPath(token)));
        if (ch === ")" && stack.length > 1) stack.pop();
        token = "";
        tokenStart = i + 1;
      } else {
        token += ch;
      }
    }
    const segments = token.split(/[./]/);
    const partial = segments.pop();
    const start = text.length - partial.length + (partial.length - partial.trimStart().length);
    return { parents: stack[stack.length - 1].concat(splitPath(segments.join("."))), partial: partial.trim(), start, tokenStart };
  }

  function splitPath(text) {
    return text.split(/[./]/).map((name) => name.trim()).filter(Boolean);
  }

  function bodyContext(text) {
    // In the JSON body: the keys of the objects that enclose the cursor, and the key
    // being typed (inside an open string).
    const stack = [];
    let lastKey = null;
    let inString = false;
    let stringStart = 0;
    for (let i = 0; i < text.length; i++) {
      const ch = text[i];
      if (inString) {
        if (ch === "\\") i++;
        else if (ch === '"') { inString = false; lastKey = text.slice(stringStart, i); }
      } else if (ch === '"') { inString = true; stringStart = i + 1; }
      else if (ch === "{") { stack.push(lastKey); lastKey = null; }
      else if (ch === "}") { stack.pop(); lastKey = null; }
      else if (ch === ",") { lastKey = null; }
    }
    if (!inString || stack.length < 2 || stack[1] !== "fields") return null;
    return { parents: stack.slice(2), partial: text.slice(stringStart), start: stringStart, part: "body" };
  }

  function candidates(part, parents) {
    const level = levelOf(parents);
    if (!level) return [];
    const items = [];
    if (part === "fields") items.push({ name: "*", note: "every default field" });
    const depth = parents.length;
    const deepEnough = schema.max_depth === null || depth + 1 <= schema.max_depth;
    level.defaults.forEach((field) => {
      if (part === "extra" && !field.nested) return;
      items.push({ name: field.name, note: field.nested ? "nested" : "" });
    });
    level.extras.forEach((field) => {
      if (field.nested && !deepEnough) return;
      if (level.defaults.some((other) => other.name === field.name)) return;
      items.push({ name: field.name, note: field.nested ? "extra, nested" : "extra" });
    });
    return items;
  }

  function complete(input) {
    const before = input.value.slice(0, input.selectionStart);
    // After a ")" only "," or ")" may follow: nothing to complete.
    if (input !== bodyInput && before.trimEnd().endsWith(")")) return closeCompletion();
    const context = input === bodyInput ? bodyContext(before) : paramContext(before);
    if (!schema || !context) return closeCompletion();
    const part = input === bodyInput ? "fields" : input.dataset.part;
    const lower = context.partial.toLowerCase();
    const items = candidates(part, context.parents).filter((item) => item.name.toLowerCase().startsWith(lower) && item.name !== context.partial);
    if (!items.length) return closeCompletion();
    let end = input.selectionStart;
    const after = input.value.slice(end);
    const rest = /^[\w*]*/.exec(after);
    end += rest ? rest[0].length : 0;
    completion = { input, start: context.start, end, items, selected: 0 };
    drawCompletion();
  }

  function drawCompletion() {
    const { input, items, selected } = completion;
    suggestions.replaceChildren(...items.map((item, index) => {
      const li = document.createElement("li");
      li.setAttribute("role", "option");
      li.setAttribute("aria-selected", String(index === selected));
      const name = document.createElement("span");
      name.textContent = item.name;
      const note = document.createElement("small");
      note.textContent = item.note;
      li.append(name, note);
      li.addEventListener("mousedown", (event) => { event.preventDefault(); accept(index); });
      return li;
    }));
    suggestions.style.top = (input.offsetTop + input.offsetHeight) + "px";
    suggestions.style.left = input.offsetLeft + "px";
    suggestions.hidden = false;
    const current = suggestions.children[selected];
    if (current && current.scrollIntoView) current.scrollIntoView({ block: "nearest" });
  }

  function closeCompletion() {
    completion = null;
    suggestions.hidden = true;
  }

  function accept(index) {
    const { input, start, end, items } = completion;
    const name = items[index].name;
    input.value = input.value.slice(0, start) + name + input.value.slice(end);
    const cursor = start + name.length;
    input.setSelectionRange(cursor, cursor);
    input.focus();
    closeCompletion();
    scheduleRun();
  }

  [...paramInputs, bodyInput].forEach((input) => {
    input.addEventListener("input", () => { complete(input); scheduleRun(); });
    input.addEventListener("focus", () => complete(input));
    input.addEventListener("click", () => complete(input));
    // Closed a moment after the field loses the focus (a click on a name comes first),
    // unless the focus came back to it meanwhile.
    input.addEventListener("blur", () => setTimeout(() => {
      if (completion && completion.input === input && document.activeElement !== input) closeCompletion();
    }, 100));
    input.addEventListener("keydown", (event) => {
      if (!completion || completion.input !== input) return;
      const count = completion.items.length;
      if (event.key === "ArrowDown" || event.key === "ArrowUp") {
        completion.selected = (completion.selected + (event.key === "ArrowDown" ? 1 : count - 1)) % count;
        drawCompletion();
        event.preventDefault();
      } else if (event.key === "Enter" || event.key === "Tab") {
        accept(completion.selected);
        event.preventDefault();
      } else if (event.key === "Escape") {
        closeCompletion();
        event.preventDefault();
      }
    });
  });

  endpointSelect.addEventListener("change", async () => {
    const endpoint = endpoints[Number(endpointSelect.value)];
    pathInput.value = fillPath(endpoint);
    await loadSchema(endpoint);
    run();
  });
  [pathInput, queryInput].forEach((input) => input.addEventListener("input", scheduleRun));
  form.addEventListener("submit", (event) => { event.preventDefault(); closeCompletion(); run(); });

  start();
})();
