import { afterEach, describe, expect, it } from "vitest";
import { singleConfig } from "../../src/config/config-layers.js";
import { checkBackends } from "../../src/doctor/check-backends.js";
import { formatCheck } from "../../src/doctor/run-doctor.js";
import type { DoctorContext, DoctorDeps } from "../../src/doctor/types.js";
import { closedBackendUrl } from "../helpers/test-proxy.js";
import { createFakeExo, EXO_MODEL, type FakeExo, type FakeExoOptions } from "../fakes/fake-exo.js";
import { compileTree } from "../helpers/config-tree.js";

let exos: FakeExo[] = [];
afterEach(async () => {
  await Promise.all(exos.map((exo) => exo.close()));
  exos = [];
});

const config = (baseUrl: string) => `backends:
  cluster: { kind: openai, flavor: exo, base_url: "${baseUrl}" }
profiles:
  kimi: { backend: cluster, model: ${EXO_MODEL}, size: large }
tiers:
  medium: { profile: kimi }
`;

/** `mallex doctor`'s backend lines for a config whose one backend is the exo at `baseUrl` (its capacity line is doctor-capacity's to test). */
async function backendLines(baseUrl: string): Promise<string[]> {
  const compiled = compileTree({ "mallex.yaml": config(baseUrl) });
  expect(compiled.lines).toEqual([]);
  const deps = { fetch, now: () => performance.now() } as unknown as DoctorDeps;
  const ctx: DoctorContext = {
    options: { config: singleConfig("mallex.yaml"), requestTimeoutMs: 2_000 },
    deps,
    hardware: { platform: "darwin", arch: "arm64", ramGb: 64, appleSilicon: true },
    table: compiled.table!,
  };
  return (await checkBackends(ctx)).map(formatCheck).filter((line) => !/^. capacity /.test(line));
}

async function fakeExo(options: FakeExoOptions = {}): Promise<FakeExo> {
  const exo = await createFakeExo(options);
  exos.push(exo);
  return exo;
}

describe("mallex doctor on an exo backend", () => {
  it("says exo answers and that the model will be placed at the first request, placing nothing itself", async () => {
    const exo = await fakeExo();
    const origin = exo.url.replace(/\/v1$/, "");
    expect(await backendLines(exo.url)).toEqual([
      `✓ backend cluster — exo at ${origin} answers; ${EXO_MODEL} has no instance yet, and mallex places it at the first request (Pipeline, MlxRing, 2 machines)`,
    ]);
    expect(exo.requests.map((r) => r.method)).toEqual(["GET", "GET"]);
  });

  it("proves a placed model serves with one token", async () => {
    const exo = await fakeExo({ placed: [EXO_MODEL] });
    const [line] = await backendLines(exo.url);
    expect(line).toMatch(
      new RegExp(
        `^✓ backend cluster — ${EXO_MODEL} has an instance on exo \\(instance-1\\); ${exo.url.replace(/[/.]/g, "\\$&")} lists 1 model and generated a token in \\d+ ms$`,
      ),
    );
  });

  it("fails with exo's reason when no placement fits the cluster", async () => {
    const exo = await fakeExo({ cluster: "too-small" });
    const origin = exo.url.replace(/\/v1$/, "");
    expect(await backendLines(exo.url)).toEqual([
      `✗ backend cluster — exo at ${origin} answers, but ${EXO_MODEL} has no instance and cannot be placed (fix: no placement of ${EXO_MODEL} fits the cluster (exo says: No cycles found with sufficient memory): free memory on its machines, add a machine, or pick a smaller model)`,
    ]);
  });

  it("fails when nothing listens at the backend's URL", async () => {
    const url = await closedBackendUrl();
    expect(await backendLines(url)).toEqual([
      `✗ backend cluster — exo at ${url.replace(/\/v1$/, "")}: GET /state/instances found nothing listening (connection refused) (fix: start exo on the cluster's Macs (it listens on port 52415), or correct the backend's base_url)`,
    ]);
  });
});
