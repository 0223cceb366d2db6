#!/usr/bin/env bats
# One meaning per option letter in every command: -h/--help and
# -V/--version everywhere, -f is --force (the old -f of --freeze is
# refused with a hint, never read as something else), -p is --progress,
# the same --freeze-timeout default, --sysroot shown everywhere.

load ../lib
bats_require_minimum_version 1.5.0

commands() { "$E4CTL" help --commands | grep -vx help; }

@test "-h and -V in every command" {
	local c
	while read -r c; do
		run "$E4CTL" $c -h
		[ "$status" -eq 0 ] || { echo "$c -h: $status" >&2; return 1; }
		[[ $output == "Usage: e4ctl $c "* ]] || { echo "$c -h: $output" >&2; return 1; }
		[[ $output == *"-h, --help"* && $output == *"-V, --version"* ]]
		run "$E4CTL" $c -V
		[ "$status" -eq 0 ] || { echo "$c -V: $status" >&2; return 1; }
		[ "$output" = "$("$E4CTL" --version)" ]
	done < <(commands)
}

@test "-f in check and delalloc audit: refused with a hint naming --freeze" {
	run --separate-stderr "$E4CTL" check -f /nonexistent
	[ "$status" -eq 16 ]
	[ "${stderr_lines[0]}" = "e4ctl check: -f: -f is --force in every command now; to freeze, use --freeze" ]
	run --separate-stderr "$E4CTL" delalloc audit -f /nonexistent
	[ "$status" -eq 16 ]
	[ "${stderr_lines[0]}" = "e4ctl delalloc audit: -f: -f is --force in every command now; to freeze, use --freeze" ]
	# the long form is what it was
	run --separate-stderr "$E4CTL" check --freeze /nonexistent
	[ "$status" -eq 8 ]
}

@test "-f is --force wherever it is accepted" {
	local c
	for c in resize "inline convert"; do
		run "$E4CTL" $c --help
		[[ $output == *"-f, --force"* ]] || { echo "$c: $output" >&2; return 1; }
	done
	while read -r c; do
		run "$E4CTL" $c --help
		if [[ $output == *"-f, "* ]]; then
			[[ $output == *"-f, --force"* ]] || { echo "$c: -f is not --force" >&2; return 1; }
		fi
		[[ $output != *"-f, --freeze"* ]]
	done < <(commands)
}

@test "wb watch -n: refused, the count is -c/--count" {
	run --separate-stderr "$E4CTL" wb watch -n 2 /nonexistent
	[ "$status" -eq 2 ]
	[ "${stderr_lines[0]}" = "e4ctl wb watch: -n: -n is --dry-run in every command now; the frame count is -c/--count" ]
}

@test "one meaning per letter: every short option has the same long name in every command" {
	local c line letter long
	declare -A seen
	while read -r c; do
		while read -r letter long; do
			if [[ -n ${seen[$letter]:-} && ${seen[$letter]} != "$long" ]]; then
				echo "-$letter is --${seen[$letter]} and, in $c, --$long" >&2
				return 1
			fi
			seen[$letter]=$long
		done < <("$E4CTL" $c --help | sed -n 's/^  -\(.\), --\([a-z-]*\).*/\1 \2/p')
	done < <(commands)
}

@test "-p/--progress wherever there is progress; --freeze-timeout defaults to 5000 ms" {
	local c
	for c in resize check "delalloc audit" "inline list" "inline convert"; do
		run "$E4CTL" $c --help
		[[ $output == *"-p, --progress"* ]] || { echo "$c: $output" >&2; return 1; }
	done
	for c in check "delalloc audit"; do
		run "$E4CTL" $c --help
		[[ $output == *"--freeze-timeout=MS"*"(default 5000)"* ]] || { echo "$c: $output" >&2; return 1; }
	done
}

@test "--sysroot is shown by every command that takes it" {
	local c
	while read -r c; do
		run "$E4CTL" $c --usage
		[[ $output == *"--sysroot"* ]] || continue
		run "$E4CTL" $c --help
		[[ $output == *"--sysroot=DIR"* ]] || { echo "$c hides --sysroot" >&2; return 1; }
	done < <(commands)
}
