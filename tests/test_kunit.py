"""The kernel's own SLUB KUnit suite (lib/slub_kunit.c 5.15 .. 6.12, lib/tests/
slub_kunit.c 6.18), replayed as ``slabhw simulate`` scripts (tests/data/kunit/): each
case must count the slab_errors the kernel's test expects, on every version that
has the case.

slab_errors counts what slab_add_kunit_errors() counts: each FIX line, object_err,
slab_err, check_bytes_and_report, a validate counter mismatch, and (6.12+) each
object list_slab_objects reports.  The scripts run unhardened and unshuffled so that
test_next_pointer can write the saved free pointer back, as the kernel's test does.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from slabhw.config import KernelConfig
from slabhw.simulate import Simulation, parse_script

KUNIT = Path(__file__).parent / "data" / "kunit"

# case -> (the slab_errors each validate or destroy expects, in order; first version)
CASES: dict[str, tuple[list[int], str]] = {
    "test_clobber_zone": ([2, 0], "v5.15"),
    "test_next_pointer": ([3, 2, 0, 0], "v5.15"),
    "test_first_word": ([2, 0], "v5.15"),
    "test_clobber_50th_byte": ([2, 0], "v5.15"),
    "test_clobber_redzone_free": ([2, 0], "v5.15"),
    "test_kmalloc_redzone_access": ([2, 0], "v6.6"),
    "test_kfree_rcu": ([0], "v6.12"),
    "test_leak_destroy": ([2], "v6.12"),
}
ORDER = ["v5.15", "v6.1", "v6.6", "v6.12", "v6.18", "v7.0", "v7.1"]  # the versions with the suite


def run(case: str, version: str) -> list[int]:
    cfg = KernelConfig.build(
        version, "x86_64", nr_cpus=2, slab_freelist_hardened=False, slab_freelist_random=False
    )
    sim = Simulation(cfg, mem=64 << 20)
    sim.run(parse_script((KUNIT / f"{case}.slab").read_text().splitlines()))
    return [
        int(e.data.get("slab_errors", 0))
        for e in sim.events
        if e.op.verb in ("validate", "destroy")
    ]


@pytest.mark.parametrize("version", ORDER)
@pytest.mark.parametrize("case", sorted(CASES))
def test_kunit_case(case: str, version: str) -> None:
    expected, first = CASES[case]
    if ORDER.index(version) < ORDER.index(first):
        pytest.skip(f"{case} came in {first}")
    assert run(case, version) == expected


def test_kmalloc_flag_is_refused_before_6_2() -> None:
    """test_kmalloc_redzone_access passes SLAB_KMALLOC, which kmem_cache_create accepts
    from 6.2 (it joined SLAB_FLAGS_PERMITTED): 6.1 fails the creation with -EINVAL."""
    cfg = KernelConfig.build("v6.1", "x86_64", nr_cpus=2)
    sim = Simulation(cfg, mem=64 << 20)
    sim.run(parse_script(["create c 32 flags=SLAB_KMALLOC|SLAB_STORE_USER|SLAB_RED_ZONE"]))
    assert sim.events[0].result == "NULL (errno 22)"
    assert sim.kernel.log == ["kmem_cache_create_usercopy(c) failed with error -22"]


def test_validate_needs_a_debug_cache_from_6_1() -> None:
    """validate_store(): since 6.1 a cache without debug flags answers -EINVAL and is
    left alone; 5.15 flushes its CPU slabs and checks it."""
    script = ["create c 64", "p = alloc c", "validate c"]
    for version, result in (("v6.1", "-EINVAL"), ("v5.15", "1 slabs validated")):
        sim = Simulation(KernelConfig.build(version, "x86_64", nr_cpus=2), mem=64 << 20)
        sim.run(parse_script(script))
        assert result in sim.events[-1].result
        cpu_slab = sim.runtime.cpu_state(sim.caches["c"], 0)["slab"]
        assert (cpu_slab is None) == (version == "v5.15")  # flushed by 5.15 only
