/**
 * What the runtime passes to each kind of template. `mallex compile` checks every variable a
 * template reads against these shapes, so a typo fails at compile time instead of rendering "".
 *
 * A shape is `true` (a value), a map of fields, or `[item]` (a list whose items have that shape).
 */
export type ContextShape = true | { readonly [field: string]: ContextShape } | readonly [ContextShape];

export type TemplateKind = "system" | "tools" | "classifier";

const tool = { name: true, description: true } as const;

const toolWithParameters = {
  ...tool,
  input_schema_json: true,
  parameters: [{ name: true, type: true, description: true, required: true, enum_values: true }],
} as const;

/** @param sectionIds the keep-rule ids of the size tier that renders this system template. */
export function templateContextShape(kind: TemplateKind, sectionIds: readonly string[] = []): ContextShape {
  switch (kind) {
    case "system":
      return {
        model: { name: true, id: true, size: true, params_b: true },
        sections: Object.fromEntries(sectionIds.map((id) => [id, true])),
        tools: [tool],
        tool_mode: true,
        tools_prompt: true,
        tool_example: true,
        user_instructions: true,
        user_system_prompt: true,
      };
    case "tools":
      return { tools: [toolWithParameters], format: true };
    case "classifier":
      return { prompt: true, intents: [{ id: true, description: true }] };
  }
}

/** Helpers every template may call (see template-helpers.ts), besides Handlebars' own. */
export const BUILTIN_HELPERS = ["if", "unless", "each", "with", "lookup"] as const;
