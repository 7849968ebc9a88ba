import { suggestName } from "../config/suggest-name.js";
import type { ConfigView } from "./config-view.js";
import { ENGINE_COMMAND } from "./engine-command.js";
import { SIZES, TIER_ORDER } from "./routing-table.js";
import { checkWorkedExample } from "./check-worked-example.js";

/** Every name the config refers to (backend, profile, template) must be declared somewhere. */
export function checkReferences(view: ConfigView): void {
  const { config, report } = view;
  const backends = Object.keys(config.backends ?? {});
  const profiles = Object.keys(config.profiles ?? {});
  const templates = Object.keys(config.templates ?? {});

  const expect = (kind: "backend" | "profile" | "template", name: string, known: string[], path: (string | number)[]) => {
    if (known.includes(name)) return;
    const guess = suggestName(name, known);
    const code = kind === "backend" ? "ref-backend-unknown" : kind === "profile" ? "ref-profile-unknown" : "ref-template-unknown";
    const section = kind === "backend" ? "backends" : kind === "profile" ? "profiles" : "templates";
    report(
      code,
      path,
      `${kind} "${name}" is not declared`,
      guess ? `did you mean "${guess}"?` : known.length ? `declared ${section}: ${known.join(", ")}` : `declare it under ${section}:`,
    );
  };

  for (const [name, profile] of Object.entries(config.profiles ?? {})) {
    expect("backend", profile.backend, backends, ["profiles", name, "backend"]);
    if (profile.tools?.mode === "xml" && !config.tools?.[profile.size]?.template) {
      report(
        "profile-tools-template-missing",
        ["profiles", name, "tools", "mode"],
        `profile "${name}" uses xml tool mode, but tools.${profile.size} names no template`,
        `add tools: { ${profile.size}: { template: tools-xml } }`,
      );
    }
    checkWorkedExample(view, name, profile);
  }
  for (const tier of TIER_ORDER) {
    const entry = config.tiers?.[tier];
    if (entry) expect("profile", entry.profile, profiles, ["tiers", tier, "profile"]);
  }
  (config.memory?.together ?? []).forEach((group, i) => group.forEach((name, j) => expect("profile", name, profiles, ["memory", "together", i, j])));
  const classifier = config.classifier ?? {};
  if (classifier.profile !== undefined) expect("profile", classifier.profile, profiles, ["classifier", "profile"]);
  if (classifier.template !== undefined) expect("template", classifier.template, templates, ["classifier", "template"]);
  if (classifier.mode === "model" && (classifier.profile === undefined || classifier.template === undefined)) {
    report(
      "ref-profile-unknown",
      ["classifier", "mode"],
      "classifier mode model needs a profile and a template",
      "add profile: <a small local profile> and template: classifier",
    );
  }
  for (const size of SIZES) {
    const trimming = config.trimming?.[size];
    if (trimming?.context_template !== undefined) expect("template", trimming.context_template, templates, ["trimming", size, "context_template"]);
    if (trimming?.system_template !== undefined) expect("template", trimming.system_template, templates, ["trimming", size, "system_template"]);
    else if (trimming && !trimming.passthrough) {
      report(
        "trimming-template-missing",
        ["trimming", size],
        `trimming.${size} has no system_template`,
        "name a template (system_template: system-small) or set passthrough: true",
        { key: true },
      );
    }
    const template = config.tools?.[size]?.template;
    if (template !== undefined) expect("template", template, templates, ["tools", size, "template"]);
  }
  for (const [name, backend] of Object.entries(config.backends ?? {})) {
    if (backend.kind === "openai" && backend.flavor === "embedded" && backend.supervise === undefined) {
      // The engine is a child of mallex's own: without supervise nothing starts it.
      report(
        "backend-embedded-unsupervised",
        ["backends", name, "flavor"],
        `backend "${name}" is mallex's embedded engine, which mallex must start, but it has no supervise: block`,
        `add supervise: { command: "${ENGINE_COMMAND}" }`,
      );
    } else if (backend.flavor === "exo" && backend.supervise !== undefined) {
      // exo runs on its cluster's machines under its own control; mallex places models on it, never starts it.
      report(
        "backend-exo-supervised",
        ["backends", name, "supervise"],
        `backend "${name}" is an exo cluster, which mallex attaches to, but it has a supervise: block`,
        "remove supervise: and set base_url: to exo's API (http://HOST:52415/v1); start exo on each machine yourself",
        { key: true },
      );
    } else if (backend.urls !== undefined && (backend.kind !== "openai" || backend.supervise !== undefined || backend.base_url !== undefined)) {
      // A pool is of servers mallex attaches to: a supervised backend is one server it starts.
      report(
        "backend-urls-conflict",
        ["backends", name, "urls"],
        `backend "${name}" has urls, which only an openai backend without base_url and supervise may have`,
        "keep urls: and remove base_url: and supervise: (or list one server in base_url)",
        { key: true },
      );
    } else if (backend.pool !== undefined && backend.urls === undefined) {
      // One server has nothing to share: settings that would never apply are a mistake to say, not to ignore.
      report(
        "backend-pool-without-urls",
        ["backends", name, "pool"],
        `backend "${name}" has pool: but no urls:, so it has one server to share`,
        "list its servers in urls: (instead of base_url:), or remove pool:",
        { key: true },
      );
    } else if (backend.kind === "openai" && backend.base_url === undefined && backend.urls === undefined && backend.supervise === undefined) {
      report(
        "backend-url-missing",
        ["backends", name],
        `backend "${name}" has no base_url and is not supervised`,
        "add base_url: http://127.0.0.1:8080/v1, or a supervise: block",
        { key: true },
      );
    }
  }
  (config.intents ?? []).forEach((intent, index) => {
    if ((intent.tier === undefined) === (intent.escalate === undefined)) {
      report(
        "schema-missing-key",
        ["intents", index],
        `intent "${intent.id}" needs exactly one of tier or escalate`,
        "write tier: low|medium|high, or escalate: 1",
      );
    }
  });
  for (const size of SIZES) {
    (config.trimming?.[size]?.keep ?? []).forEach((rule, index) => {
      if ((rule.heading === undefined) === (rule.pattern === undefined)) {
        report(
          "schema-missing-key",
          ["trimming", size, "keep", index],
          `keep rule "${rule.id}" needs exactly one of heading or pattern`,
          "write heading: Environment, or pattern: <regex>",
        );
      }
    });
  }
}
