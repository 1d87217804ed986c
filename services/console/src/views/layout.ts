// The page frame (navigation, who is logged in, log-out) and the pieces every page uses: tables,
// numbers, and action forms that carry the CSRF token and a confirmation box, shown only to a
// role that may use them.
import type { Permission } from "@m10/shared";
import type { FastifyRequest } from "fastify";
import { may } from "../auth/guard.js";
import { cell, Html, html } from "./html.js";

const NAV: readonly [string, string][] = [
  ["/", "Overview"],
  ["/dead-letters", "Dead letters"],
  ["/outbox", "Outbox"],
  ["/candidates", "Candidates"],
  ["/maintenance", "Locks & maintenance"],
  ["/services", "Health"],
];

function navLink(current: string, [href, label]: readonly [string, string]): Html {
  const active = href === "/" ? current === "/" : current.startsWith(href);
  return html`<a href="${href}"${active ? html` class="active" aria-current="page"` : ""}>${label}</a>`;
}

export function page(request: FastifyRequest, title: string, body: Html | Html[]): string {
  const session = request.session;
  const path = request.url.split("?")[0] ?? "/";
  return html`<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${title} · M10 console</title>
<link rel="stylesheet" href="/assets/console.css">
<link rel="icon" href="/assets/favicon.svg" type="image/svg+xml">
<script src="/assets/console.js" defer></script>
</head>
<body>
<header>
<strong class="brand">M10 console</strong>
<nav>${NAV.map((item) => navLink(path, item))}</nav>
${
  session
    ? html`<form method="post" action="/logout" class="whoami"><span>${session.principal.subject} (${session.principal.roles.join(", ")}${
        may(request, "ops:write") ? "" : ", read-only"
      })</span><input type="hidden" name="_csrf" value="${session.csrf}"><button type="submit">Log out</button></form>`
    : ""
}
</header>
<main>
<h1>${title}</h1>
${body}
</main>
</body>
</html>`.text;
}

export function table(headers: readonly string[], rows: readonly (readonly unknown[])[], empty = "Nothing here."): Html {
  if (rows.length === 0) return html`<p class="muted">${empty}</p>`;
  return html`<table><thead><tr>${headers.map((h) => html`<th>${h}</th>`)}</tr></thead><tbody>${rows.map(
    (row) => html`<tr>${row.map((value) => html`<td>${isHtml(value) ? value : cell(value)}</td>`)}</tr>`,
  )}</tbody></table>`;
}

const isHtml = (value: unknown): value is Html => value instanceof Html;

/** key → value rows. */
export function details(entries: Record<string, unknown>): Html {
  return html`<dl class="kv">${Object.entries(entries).map(([key, value]) => html`<dt>${key}</dt><dd>${isHtml(value) ? value : cell(value)}</dd>`)}</dl>`;
}

export function json(value: unknown): Html {
  return html`<pre class="json">${JSON.stringify(value, null, 2)}</pre>`;
}

export interface ActionFormOptions {
  action: string;
  label: string;
  /** What the confirmation box says ("Replay dead letter 1700-0"). */
  confirm: string;
  permission: Permission;
  fields?: Record<string, string | number>;
  /** Extra inputs (a note, a decision). */
  extra?: Html;
  id?: string;
  danger?: boolean;
}

/** A POST form with the session's CSRF token and a required confirmation box; nothing for a role without `permission`. */
export function actionForm(request: FastifyRequest, options: ActionFormOptions): Html {
  if (!request.session || !may(request, options.permission)) return html``;
  return html`<form method="post" action="${options.action}" class="action"${options.id ? html` id="${options.id}"` : ""}>
<input type="hidden" name="_csrf" value="${request.session.csrf}">
${Object.entries(options.fields ?? {}).map(([name, value]) => html`<input type="hidden" name="${name}" value="${value}">`)}
${options.extra ?? ""}
<label class="confirm"><input type="checkbox" name="confirm" value="yes" required> ${options.confirm}</label>
<button type="submit" class="${options.danger ? "danger" : "primary"}" data-action="${options.label}">${options.label}</button>
</form>`;
}

/** A GET filter form. */
export function filterForm(action: string, inputs: Html): Html {
  return html`<form method="get" action="${action}" class="filters">${inputs}<button type="submit">Apply</button></form>`;
}

export function textInput(name: string, label: string, value: string | undefined, placeholder = ""): Html {
  return html`<label>${label} <input type="text" name="${name}" value="${value ?? ""}" placeholder="${placeholder}"></label>`;
}

export function selectInput(name: string, label: string, options: readonly string[], value: string | undefined): Html {
  return html`<label>${label} <select name="${name}">${options.map((option) => html`<option value="${option}"${option === (value ?? "") ? " selected" : ""}>${option === "" ? "(any)" : option}</option>`)}</select></label>`;
}

/** A number on the overview: links to its list; data-metric lets console.js refresh it. */
export function stat(metric: string, label: string, value: number | string | null, href: string, hint = ""): Html {
  return html`<a class="stat" href="${href}"><span class="value" data-metric="${metric}">${value ?? "–"}</span><span class="label">${label}</span>${hint ? html`<span class="hint">${hint}</span>` : ""}</a>`;
}
