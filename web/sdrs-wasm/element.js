// <sdrs-login-advisor>: renders sdrs-core's login explanation for the attributes it is given, inside shadow DOM.
// No global side effects: no document styles, fonts or listeners; only the custom element is defined.
import init, { explainLogin } from "./web/sdrs_wasm.js";

const ready = init();

const STYLE = `
  :host { display: block; font: var(--sdrs-advisor-font, inherit); color: var(--sdrs-advisor-fg, inherit);
          background: var(--sdrs-advisor-bg, transparent); border: 1px solid var(--sdrs-advisor-border, #8888);
          border-radius: 6px; padding: 0.75em 1em; }
  h3 { margin: 0 0 0.4em; font-size: 1em; }
  .credential { font-weight: 600; color: var(--sdrs-advisor-accent, inherit); }
  .tag { font-size: 0.8em; text-transform: uppercase; letter-spacing: 0.05em; }
  .not-documented { font-style: italic; }
  .error { color: var(--sdrs-advisor-accent, #b00020); }
  details { margin-top: 0.5em; } blockquote { margin: 0.3em 0 0.3em 1em; }
  ol, ul { margin: 0.3em 0; padding-left: 1.4em; }
`;

function question(el) {
  const attr = (name, fallback) => el.getAttribute(name) ?? fallback;
  const yesNo = (name) => (el.hasAttribute(name) ? attr(name) === "yes" : null);
  const os = attr("os", "linux") === "windows"
    ? { family: "windows", cloudbase_init: el.hasAttribute("init-agent") }
    : { family: "linux", coreos: el.hasAttribute("coreos"), cloud_init: el.hasAttribute("init-agent") };
  return {
    os,
    login: attr("login", "password"),
    after: attr("after", "failover"),
    first_time: !el.hasAttribute("later"),
    server: attr("server", "production"),
    production_site: attr("production-site", null),
    password_changed_before_failover: yesNo("password-changed"),
    cloudbase_init: attr("cloudbase-init", "unknown"),
    names: { server_a: attr("server-a", null), server_b: attr("server-b", null), drill_server: attr("drill-server", null) },
  };
}

function text(tag, content, className) {
  const node = document.createElement(tag);
  node.textContent = content;
  if (className) node.className = className;
  return node;
}

function advice(container, label, a) {
  if (label) container.append(text("p", label, "tag"));
  if (a.first.length) {
    const steps = document.createElement("ol");
    for (const step of a.first) steps.append(text("li", step.text));
    container.append(steps);
  }
  const use = text("p", "");
  use.append("Use ", text("span", a.credential.text, "credential"), ".");
  container.append(use);
  for (const caution of a.cautions) container.append(text("p", caution));
}

export class SdrsLoginAdvisor extends HTMLElement {
  static observedAttributes = ["os", "init-agent", "coreos", "login", "after", "later", "server", "production-site",
    "password-changed", "cloudbase-init", "server-a", "server-b", "drill-server"];

  constructor() {
    super();
    this.attachShadow({ mode: "open" });
  }

  connectedCallback() { this.render(); }
  attributeChangedCallback() { if (this.isConnected) this.render(); }

  async render() {
    await ready;
    const root = this.shadowRoot;
    root.replaceChildren(text("style", STYLE));
    const body = document.createElement("div");
    body.setAttribute("role", "status");
    root.append(body);
    let explanation;
    try {
      explanation = explainLogin(question(this));
    } catch (error) {
      body.append(text("p", `${error.code}: ${error.message}`, "error"));
      this.dataset.state = "error";
      return;
    }
    const server = explanation.server;
    const who = server.seed ? `server ${server.seed}` : "the DR drill server";
    body.append(text("h3", `Logging in to ${who}${server.name ? ` (${server.name})` : ""}`));
    const answer = explanation.answer;
    if (answer.kind === "use") advice(body, null, answer);
    else if (answer.kind === "depends-on-cloudbase-init") {
      body.append(text("p", answer.check.text));
      advice(body, "Until Cloudbase-Init has started", answer.until_started);
      advice(body, "Once it has started", answer.once_started);
    } else {
      body.append(text("p", "Not documented.", "not-documented"), text("p", answer.known));
    }
    for (const d of explanation.discrepancies) body.append(text("p", `Note: ${d.explanation}`));
    const sources = document.createElement("details");
    sources.append(text("summary", "From the SDRS failover page"));
    for (const c of explanation.citations) sources.append(text("strong", c.title), text("blockquote", c.quote));
    body.append(sources);
    this.dataset.state = answer.kind;
  }
}

if (!customElements.get("sdrs-login-advisor")) customElements.define("sdrs-login-advisor", SdrsLoginAdvisor);
