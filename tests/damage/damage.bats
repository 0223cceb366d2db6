#!/usr/bin/env bats
# Damaged images (tests/damage/sweep) against the sanitizer build of
# e4ctl: a fixed sample of seeds here, all of them in `make stress`.
# And the sanitizer build itself compiles with clang too, -Werror.

setup() {
	ROOT=$BATS_TEST_DIRNAME/../..
	BUILD=${E4_BUILD:-$ROOT/build}
	SAN=$BUILD/san/e4ctl
}

sweep() {
	[[ -x $SAN ]] || skip "no sanitizer build at $SAN (make san; make check builds it)"
	run env BUILD="$BUILD" E4CTL_SAN="$SAN" "$BATS_TEST_DIRNAME/sweep" "$@"
	echo "$output"
	[ "$status" -eq 0 ]
	[[ ${lines[-1]} == "damage: $# images, 0 failed" ]]
}

@test "damaged images, seeds 1-10: no crash, no hang, errors name the image, JSON valid, nothing written, writers refuse" {
	sweep $(seq 1 10)
}

@test "damaged images, seeds 11-20" {
	sweep $(seq 11 20)
}

@test "damaged images, seeds 21-30" {
	sweep $(seq 21 30)
}

@test "damaged images, seeds 31-40" {
	sweep $(seq 31 40)
}

@test "SANITIZE=1 builds e4ctl under clang with -Werror" {
	command -v clang >/dev/null || skip "clang is not installed"
	run make -C "$ROOT" -j2 SANITIZE=1 CC=clang BUILD="$BATS_TEST_TMPDIR/clang-san" all
	[ "$status" -eq 0 ]
	[ -x "$BATS_TEST_TMPDIR/clang-san/e4ctl" ]
	"$BATS_TEST_TMPDIR/clang-san/e4ctl" --version
}
