import type { Profile } from "../../generated/config.js";
import type { ConfigView } from "./config-view.js";
import { EXAMPLE_FORMATS, exampleFormatOf, isExampleFormat } from "./routing-table.js";

/**
 * `tools.worked_example` writes its call in the profile's format: in native mode `auto` names none
 * (the model's calls are read in any family's markup, but an example must be written in one), and a
 * format with no example written for it would show none. Either is an error, not an example left out.
 */
export function checkWorkedExample(view: ConfigView, name: string, profile: Profile): void {
  const tools = profile.tools;
  if (tools?.worked_example !== true) return;
  const format = exampleFormatOf(tools.mode, tools.format === "auto" ? undefined : tools.format);
  if (isExampleFormat(format)) return;
  view.report(
    "profile-worked-example-format",
    ["profiles", name, "tools", "worked_example"],
    format === undefined
      ? `profile "${name}" shows a worked example, but in native tool mode tools.format auto names no format to write it in`
      : `profile "${name}" shows a worked example, but none is written in tools.format ${format}`,
    `set tools.format to the format the model writes calls in: ${EXAMPLE_FORMATS.filter((f) => f !== "mallex-xml").join(" or ")}${tools.mode === "xml" ? ", or leave it out for mallex-xml" : ""}`,
  );
}
