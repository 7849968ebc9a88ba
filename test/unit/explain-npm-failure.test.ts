import { describe, expect, it } from "vitest";
import { explainNpmFailure } from "../../src/engine/install/explain-npm-failure.js";

/** npm 11.19's own stderr for each failure, as it printed it on this project's machine (the stack included); FULL_DISK and OLD_NPM are written after npm's format, not captured. */
const REFUSED = `npm error code ECONNREFUSED
npm error syscall connect
npm error errno ECONNREFUSED
npm error FetchError: request to http://127.0.0.1:9/node-llama-cpp failed, reason: connect ECONNREFUSED 127.0.0.1:9
npm error     at ClientRequest.<anonymous> (/usr/lib/node_modules/npm/node_modules/minipass-fetch/lib/index.js:130:14)
npm error     at ClientRequest.emit (node:events:524:28)
npm error     at process.processTicksAndRejections (node:internal/process/task_queues:83:21) {
npm error   code: 'ECONNREFUSED',
npm error   errno: 'ECONNREFUSED',
npm error   syscall: 'connect',
npm error   type: 'system',
npm error   requiredBy: '.'
npm error }
npm error
npm error If you are behind a proxy, please make sure that the 'proxy' config is set properly.  See: 'npm help config'
npm error A complete log of this run can be found in: /home/u/.npm/_logs/2026-11-25T04_28_36_072Z-debug-0.log
`;
const NO_DNS = `npm warn Unknown user config "nodedir". This will stop working in the next major version of npm.
npm error code ENOTFOUND
npm error syscall getaddrinfo
npm error errno ENOTFOUND
npm error network request to https://registry.npmjs.org/node-llama-cpp failed, reason: getaddrinfo ENOTFOUND registry.npmjs.org
npm error network This is a problem related to network connectivity.
npm error network In most cases you are behind a proxy or have bad network settings.
npm error network
npm error network If you are behind a proxy, please make sure that the 'proxy' config is set properly.  See: 'npm help config'
npm error A complete log of this run can be found in: /home/u/.npm/_logs/2026-11-25T04_28_37_531Z-debug-0.log
`;
const NO_VERSION = `npm error code ETARGET
npm error notarget No matching version found for node-llama-cpp@3.99.77.
npm error notarget In most cases you or one of your dependencies are requesting a package version that doesn't exist.
npm error A complete log of this run can be found in: /home/u/.npm/_logs/2026-11-25T04_28_43_243Z-debug-0.log
`;
const NOT_THERE = `npm error code E404
npm error 404 Not Found - GET https://registry.npmjs.org/@node-llama-cpp%2fno-such-pkg
npm error 404
npm error 404  The requested resource '@node-llama-cpp/no-such-pkg@3.21.1' could not be found or you do not have permission to access it.
npm error A complete log of this run can be found in: /home/u/.npm/_logs/2026-11-25T04_28_44_885Z-debug-0.log
`;
const PLATFORM = `npm error code EBADPLATFORM
npm error notsup Unsupported platform for @node-llama-cpp/mac-x64@3.21.1: wanted {"os":"darwin","cpu":"x64"} (current: {"os":"linux","cpu":"x64"})
npm error notsup Valid os:   darwin
npm error notsup Actual os:  linux
npm error A complete log of this run can be found in: /home/u/.npm/_logs/2026-11-25T04_28_44_087Z-debug-0.log
`;
const FULL_DISK = `npm error code ENOSPC
npm error syscall write
npm error errno -28
npm error nospc Invalid response body while trying to fetch https://registry.npmjs.org/@node-llama-cpp/linux-x64-cuda/-/linux-x64-cuda-3.21.1.tgz: ENOSPC: no space left on device, write
npm error nospc There appears to be insufficient space on your system to finish.
`;
/** npm 8's prefix. */
const OLD_NPM = `npm ERR! code EAI_AGAIN
npm ERR! syscall getaddrinfo
npm ERR! errno EAI_AGAIN
npm ERR! request to https://registry.npmjs.org/node-llama-cpp failed, reason: getaddrinfo EAI_AGAIN registry.npmjs.org
`;

const failed = (stderr: string) => ({ exitCode: 1, stdout: "", stderr });
const RETRY = "mallex engine --install";

describe("explainNpmFailure: npm's failure in two lines, what failed and what to do", () => {
  it("an unreachable registry (refused, no DNS, older npm) is said with npm's own reason and the URL, never its stack", () => {
    for (const [stderr, reason, url] of [
      [REFUSED, "connect ECONNREFUSED 127.0.0.1:9", "http://127.0.0.1:9/node-llama-cpp"],
      [NO_DNS, "getaddrinfo ENOTFOUND registry.npmjs.org", "https://registry.npmjs.org/node-llama-cpp"],
      [OLD_NPM, "getaddrinfo EAI_AGAIN registry.npmjs.org", "https://registry.npmjs.org/node-llama-cpp"],
    ] as const) {
      const failure = explainNpmFailure(failed(stderr), RETRY);
      expect(failure.why).toBe(`npm could not reach ${url} (${reason})`);
      expect(failure.fix).toMatch(
        /^Connect this machine to the network .* run `mallex engine --install`, or use a model server that is already running \(--backend-url\)\.$/,
      );
      expect(`${failure.why}\n${failure.fix}`).not.toMatch(/ at |FetchError|\{|\n.*\n/);
    }
  });

  it("a version or package the registry lacks, a platform with no binary, a full disk", () => {
    expect(explainNpmFailure(failed(NO_VERSION), RETRY)).toMatchObject({
      code: "ETARGET",
      why: "npm's registry does not have it (No matching version found for node-llama-cpp@3.99.77.)",
    });
    expect(explainNpmFailure(failed(NOT_THERE), RETRY)).toMatchObject({
      code: "E404",
      why: "npm's registry does not have it (Not Found - GET https://registry.npmjs.org/@node-llama-cpp%2fno-such-pkg)",
    });
    const platform = explainNpmFailure(failed(PLATFORM), RETRY);
    expect(platform.why).toMatch(
      /^node-llama-cpp has no prebuilt binary for this machine \(Unsupported platform for @node-llama-cpp\/mac-x64@3\.21\.1: wanted/,
    );
    expect(platform.fix).toMatch(/--server-command\) or already running \(--backend-url\)/);
    expect(explainNpmFailure(failed(FULL_DISK), RETRY).why).toBe(
      "the disk is full (Invalid response body while trying to fetch https://registry.npmjs.org/@node-llama-cpp/linux-x64-cuda/-/linux-x64-cuda-3.21.1.tgz: ENOSPC: no space left on device, write)",
    );
  });

  it("no npm on PATH; an unknown failure points at npm's log", () => {
    expect(explainNpmFailure({ exitCode: undefined, stdout: "", stderr: "", spawnError: "ENOENT" }, RETRY)).toEqual({
      code: "ENOENT",
      why: "npm is not on PATH",
      fix: "Put npm (it comes with Node.js) on PATH and run `mallex engine --install`, or use a model server that is already running (--backend-url).",
    });
    const odd = explainNpmFailure(
      failed(
        "npm warn install-scripts 1 package has install scripts not yet covered by allowScripts:\nnpm error code EWEIRD\nnpm error something odd happened\nnpm error A complete log of this run can be found in: /home/u/.npm/_logs/x-debug-0.log\n",
      ),
      RETRY,
    );
    expect(odd).toEqual({
      code: "EWEIRD",
      why: "npm failed (EWEIRD: something odd happened)",
      fix: "Run `mallex engine --install` again; npm's log of this run: /home/u/.npm/_logs/x-debug-0.log.",
    });
  });
});
