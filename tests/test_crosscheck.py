"""slabhw crosscheck: the model against the captured 6.18.44 kernel (and the live one
where readable), and that a wrong number is caught."""

from __future__ import annotations

import copy
import json
import os
from pathlib import Path
from typing import Any

import pytest

from slabhw import kconfig
from slabhw.config import KernelConfig
from slabhw.crosscheck import crosscheck
from slabhw.errors import InputError
from slabhw.slab_common import unique_id
from tests.helpers import run_main

SNAPSHOT = Path(__file__).parent / "data" / "x86_64-6.18-snapshot.json"


@pytest.fixture(scope="module")
def snap() -> dict[str, Any]:
    return json.loads(SNAPSHOT.read_text())


def test_every_cache_and_merge_of_the_captured_kernel(snap: dict[str, Any]) -> None:
    report = crosscheck(snap)
    assert report.mismatches == []
    assert len(report.caches) == 235
    order = [c for c in report.checks if c.cache == "boot caches"]
    assert len(order) == 1 and order[0].ok and len(order[0].predicted) == 55
    merges = [c for c in report.checks if c.cache.startswith("merge ")]
    assert len(merges) == 10 and all(c.ok for c in merges)
    # the 194 alias links of the capture (tests/data/README.md); without BTF, the 10
    # whose sizes are constants: sgpool-N, biovec-N, btrfs_free_space_bitmap (PAGE_SIZE)
    summary = report.as_json()
    assert (summary["merges_total"], summary["merges_predicted"], summary["merges_matched"]) == (
        194,
        10,
        10,
    )
    fields = {c.field for c in report.counted}
    assert {
        "slab_size",
        "objs_per_slab",
        "order",
        "min_partial",
        "cpu_partial",
        "sheaf_capacity",
        "sysfs name",
        "aliases",
        "slabinfo row",
    } <= fields
    # kmalloc caches are named (usersize), maple_node too (sheaves), dentry merges
    names = {c.cache: c.predicted for c in report.checks if c.field == "sysfs name"}
    assert names["kmalloc-64"] == "kmalloc-64" and names["maple_node"] == "maple_node"
    assert sum(1 for k in names if k.startswith(":")) == 96


def test_a_wrong_number_is_caught(snap: dict[str, Any]) -> None:
    bad = copy.deepcopy(snap)
    bad["caches"]["kmalloc-64"]["attributes"]["objs_per_slab"] = "63"
    bad["caches"]["task_struct"]["attributes"]["order"] = "2"
    report = crosscheck(bad)
    assert {(c.cache, c.field) for c in report.mismatches} == {
        ("kmalloc-64", "objs_per_slab"),
        ("task_struct", "order"),
    }
    assert not report.ok and "MISMATCH" in report.summary()


def test_alias_counts_and_links_are_checked(snap: dict[str, Any]) -> None:
    bad = copy.deepcopy(snap)
    target = bad["aliases"].pop("sgpool-8")
    report = crosscheck(bad)
    assert any(c.cache == target and c.field == "aliases" for c in report.mismatches)


def test_unique_ids() -> None:
    c = KernelConfig.build("v6.18", "x86_64", nr_cpus=2)
    f = c.flags
    assert unique_id(0, 192, f) == ":0000192"
    assert unique_id(f["SLAB_ACCOUNT"], 192, f) == ":A-0000192"
    assert unique_id(f["SLAB_RECLAIM_ACCOUNT"] | f["SLAB_ACCOUNT"], 16, f) == ":aA-0000016"
    assert unique_id(f["SLAB_CACHE_DMA"] | f["SLAB_ACCOUNT"], 128, f) == ":dA-0000128"
    assert unique_id(f["SLAB_CONSISTENCY_CHECKS"], 256, f) == ":F-0000256"


def test_config_from_the_snapshot(snap: dict[str, Any]) -> None:
    c = kconfig.config_from_snapshot(snap)
    assert (c.version, c.arch.name, c.nr_cpus, c.present_cpus, c.cache_line_size) == (
        "v6.18",
        "x86_64",
        2,
        2,
        64,
    )
    assert c.on("memcg") and c.on("hardened_usercopy") and not c.on("random_kmalloc_caches")


def test_kconfig_helpers() -> None:
    assert kconfig.version_of_release("6.18.44-fc-v669") == "v6.18.44"
    with pytest.raises(InputError):
        kconfig.version_of_release("4.19.0")
    assert kconfig.arch_of("aarch64", 65536, "v6.18") == "arm64-64k"
    assert kconfig.arch_of("ppc64le", 65536, "v6.18") == "ppc64"
    assert kconfig.boot_options("quiet slub_debug=FZ,dentry slab_nomerge slab_max_order=2") == {
        "slub_debug": "FZ,dentry",
        "slab_nomerge": True,
        "slub_max_order": 2,
    }
    assert kconfig.boot_options("slab_debug") == {"slub_debug": ""}
    # lib/cmdline.c get_option(): simple_strtoull in base 0 over the longest prefix of
    # digits, stored even when there are none; SLUB's min order and min objects are
    # unsigned ints written through an int pointer
    assert kconfig.boot_options("slab_min_order=x") == {"slub_min_order": 0}
    assert kconfig.boot_options("slab_max_order=010 slab_min_objects=0x10") == {
        "slub_max_order": 8,
        "slub_min_objects": 16,
    }
    assert kconfig.boot_options("slab_max_order=-1 slab_min_order=-1") == {
        "slub_max_order": -1,
        "slub_min_order": 0xFFFFFFFF,
    }
    assert kconfig.boot_options("slab_min_objects=5k slab_max_order") == {"slub_min_objects": 5}
    assert kconfig.boot_options("slab_max_order=4294967298") == {"slub_max_order": 2}


def test_boot_parameters_change_the_prediction(snap: dict[str, Any]) -> None:
    """With slab_nomerge on the command line nothing would be merged, so the captured
    unique ids no longer match: the cross-check notices."""
    other = copy.deepcopy(snap)
    other["kernel"]["cmdline"] += " slab_nomerge"
    report = crosscheck(other)
    assert {c.field for c in report.mismatches} == {"sysfs name"}


def test_crosscheck_cli(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    rc, out, err = run_main(["crosscheck", "--snapshot", str(SNAPSHOT), "--brief"], capsys)
    assert rc == 0 and out.splitlines()[-1].endswith(": OK") and len(out.splitlines()) == 2
    rc, out, err = run_main(["crosscheck", "--snapshot", str(SNAPSHOT), "--json"], capsys)
    data = json.loads(out)
    assert rc == 0 and data["ok"] and data["config"]["kernel"] == "v6.18"
    bad = json.loads(SNAPSHOT.read_text())
    bad["caches"]["dentry"]["attributes"]["slab_size"] = "200"
    path = tmp_path / "bad.json"
    path.write_text(json.dumps(bad))
    rc, out, err = run_main(["crosscheck", "--snapshot", str(path)], capsys)
    assert rc == 1 and out.splitlines()[1].startswith("dentry") and "MISMATCH" in out
    rc, out, err = run_main(["crosscheck", "--snapshot", str(tmp_path / "none.json")], capsys)
    assert rc == 2 and "Traceback" not in err


LIVE = Path("/sys/kernel/slab")


@pytest.mark.skipif(
    not LIVE.is_dir() or not os.access(LIVE / "kmalloc-64" / "order", os.R_OK),
    reason="no readable /sys/kernel/slab",
)
def test_the_running_kernel() -> None:
    from slabhw import snapshot

    live = snapshot.capture("/")
    try:
        kconfig.config_from_snapshot(live)
    except InputError as exc:
        pytest.skip(f"the running kernel is not modelled: {exc}")
    report = crosscheck(live)
    assert report.mismatches == []


def test_merges_predicted_from_btf(snap: dict[str, Any]) -> None:
    """With the kernel's BTF (this machine's: the kernel the snapshot was taken of), the
    catalogue's symbolic creation inputs (catalogue.CREATIONS_V6_18, read in the 6.18
    source) size the merged caches: 175 of the 194 alias links predicted (90%), every
    one right; the other 19 say why (sizes set at run time or built from constants
    the catalogue does not compute)."""
    from slabhw import btf

    if not (btf.RUNNING.exists() and os.access(btf.RUNNING, os.R_OK)):
        pytest.skip("no readable /sys/kernel/btf/vmlinux")
    if snap["kernel"]["release"] != os.uname().release:
        pytest.skip("the running kernel is not the one the snapshot was taken of")
    report = crosscheck(snap, btf_index=btf.load(btf.RUNNING))
    summary = report.as_json()
    assert (summary["merges_total"], summary["merges_predicted"], summary["merges_matched"]) == (
        194,
        175,
        175,
    )
    assert report.ok and len(summary["merges_unpredicted"]) == 19
    assert all(why for why in summary["merges_unpredicted"].values())
    # e.g. struct cred (184 bytes, HWCACHE_ALIGN|ACCOUNT): 192, the :A-0000192 of pid
    cred = next(c for c in report.merge_checks if c.cache == "merge cred")
    assert cred.predicted == cred.seen == ":A-0000192"


def test_merge_prediction_rules(monkeypatch: pytest.MonkeyPatch) -> None:
    """find_mergeable's target from symbolic inputs, derived by hand on 6.18 x86_64
    with the hand-built BTF of tests/btf_fixtures.py: struct pair (16, align 8) ->
    :0000016; struct pair with a tail of 2 more pairs (16 + 2 * 16 = 48) -> :0000048;
    struct holder (32) with SLAB_HWCACHE_ALIGN | SLAB_ACCOUNT: the cache line halved
    while the object fits (64 -> 32), so a 32-byte request, 'A' for ACCOUNT ->
    :A-0000032.  A run-time size, a type BTF lacks, and a name the catalogue does not
    know are not predicted, each with its reason."""
    from slabhw import btf
    from slabhw import catalogue as cat
    from slabhw.crosscheck import _merge_predictions
    from tests import btf_fixtures as fx

    creations = {
        "pair_cache": cat.Creation(struct="pair", align=cat.NATURAL),
        "pairs": cat.Creation(struct="pair", count=2, elem="pair"),
        "acct": cat.Creation(struct="holder", flags=("SLAB_HWCACHE_ALIGN", "SLAB_ACCOUNT")),
        "late": cat.Creation(runtime="runtime: nr_cpu_ids"),
        "nosuch": cat.Creation(struct="nothing"),
    }
    monkeypatch.setitem(cat.CREATIONS, "v6.18", creations)
    aliases = {
        "pair_cache": ":0000016",
        "pairs": ":0000048",
        "acct": ":A-0000032",
        "late": ":0000008",
        "nosuch": ":0000008",
        "unknown": ":0000008",
    }
    cfg = KernelConfig.build("v6.18", "x86_64", nr_cpus=2)
    checks, missed = _merge_predictions(cfg, {"aliases": aliases}, btf.Btf(fx.sample()))
    assert {c.cache: (c.predicted, c.ok) for c in checks} == {
        "merge acct": (":A-0000032", True),
        "merge pair_cache": (":0000016", True),
        "merge pairs": (":0000048", True),
    }
    assert set(missed) == {"late", "nosuch", "unknown"}
    assert "run-time" in missed["late"] or "does not compute" in missed["late"]
    assert "no struct or union called 'nothing'" in missed["nosuch"]
    assert missed["unknown"] == "no creation inputs in the catalogue"
    # without BTF the struct sizes are not known
    _, missed = _merge_predictions(cfg, {"aliases": aliases}, None)
    assert "needs the kernel's BTF" in missed["pair_cache"]


class FactsBtf:
    """The BTF facts of the types a catalogue names (size, natural alignment, flexible
    tail), cut from a real kernel image by /work-time tooling into tests/data: a
    stand-in for btf.Btf where the image itself cannot be committed."""

    def __init__(self, path: Path) -> None:
        self.types = json.loads(path.read_text())["types"]

    def struct(self, name: str) -> Any:
        from slabhw.btf import TypeInfo

        if name not in self.types:
            raise InputError(f"no struct {name} in the fixture")
        return TypeInfo(name=name, **self.types[name])


@pytest.mark.parametrize(
    "snapshot_name, facts_name, links, predicted, accounted, before",
    [
        # 6.1.192: 108 of 110 links (98%); stable 6.1.191 gave the multicast routing
        # caches SLAB_ACCOUNT, so as 6.1.190 both go to :0000192 instead
        (
            "debian-6.1.192-amd64-smp2-default.json.gz",
            "btf-facts-debian-6.1.192-amd64.json",
            110,
            108,
            ("cred_jar", "ip_mrt_cache", "ip6_mrt_cache"),
            "v6.1.190",
        ),
        # 6.12.117: 111 of 113; the same commit came in 6.12.112
        (
            "debian-6.12.117-amd64-smp2-default.json.gz",
            "btf-facts-debian-6.12.117-amd64.json",
            113,
            111,
            ("cred", "mfc_cache", "mfc6_cache"),
            "v6.12.111",
        ),
    ],
)
def test_debian_merges_predicted_from_their_btf(
    snapshot_name: str,
    facts_name: str,
    links: int,
    predicted: int,
    accounted: tuple[str, ...],
    before: str,
) -> None:
    """Issue 9, step 4: Debian's kernels with the BTF facts of their own images (the
    types each version's catalogue names, cut from vmlinuz): every prediction right;
    the two links left are the LSM blob caches, sized at boot.  cred's cache
    (:A-0000192) also holds the two multicast routing caches, which a stable release
    gave SLAB_ACCOUNT; modelled as the release before it, they go elsewhere."""
    from slabhw import snapshot

    data = Path(__file__).parent / "data"
    snap = snapshot.load(str(data / snapshot_name))
    facts = FactsBtf(data / facts_name)
    report = crosscheck(snap, btf_index=facts)  # type: ignore[arg-type]
    summary = report.as_json()
    assert (summary["merges_total"], summary["merges_predicted"], summary["merges_matched"]) == (
        links,
        predicted,
        predicted,
    )
    assert report.ok and sorted(summary["merges_unpredicted"]) == [
        "lsm_file_cache",
        "lsm_inode_cache",
    ]
    for name in accounted:
        check = next(c for c in report.merge_checks if c.cache == f"merge {name}")
        assert check.predicted == check.seen == ":A-0000192"
    old = crosscheck(snap, before, btf_index=facts)  # type: ignore[arg-type]
    wrong = sorted(c.cache for c in old.merge_checks if not c.ok)
    assert wrong == sorted(f"merge {name}" for name in accounted[1:])
