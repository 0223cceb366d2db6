# Helpers of the --sysroot suites: fixtures (tests/delalloc/fixtures, see
# its README) whose device is dm-7, and a counter that changes.

FIXTURES=$BATS_TEST_DIRNAME/fixtures

# Copy fixture $1 to $SYS and link the mounted loop device of $MNT to dm-7.
use_fixture() {
	cp -a "$FIXTURES/$1" "$SYS"
	mkdir -p "$SYS/sys/dev/block"
	ln -s ../../devices/virtual/block/dm-7 "$SYS/sys/dev/block/$(mountpoint -d "$MNT")"
}

# serve_counter FIFO FIRST: hand FIRST, FIRST + 1, ... to one reader of
# the FIFO each, in the background; SERVER is its pid (teardown kills it).
# One writer stays open throughout, so a reader never meets a FIFO
# without one (that would read as empty); the next value is written only
# once the last one was read (FIONREAD 0), so no read ever holds two; a
# write with no reader left (EPIPE) is tried again until the next reader
# opens.
serve_counter() {
	mkfifo "$1"
	perl -MFcntl -e '
		$SIG{PIPE} = "IGNORE";
		my ($fifo, $v) = @ARGV;
		sysopen(my $w, $fifo, O_WRONLY) or die "$fifo: $!";
		for (;; $v++) {
			until (defined syswrite($w, "$v\n")) {
				die "$fifo: $!" unless $!{EPIPE};
				select(undef, undef, undef, 0.005);
			}
			for (;;) {
				my $n = pack("L", 0);
				ioctl($w, 0x541B, $n) or die "FIONREAD: $!";
				last if unpack("L", $n) == 0;
				select(undef, undef, undef, 0.005);
			}
		}' "$1" "$2" &
	SERVER=$!
}
