#!/usr/bin/perl
# dumpe2fs's group listing (stdin) as one line per group, in the order of
#   e4ctl groups --raw --noheadings -o GROUP,START,END,FLAGS,BBITMAP,IBITMAP,ITABLE,FREE_BLOCKS,FREE_INODES,USED_DIRS,ITABLE_UNUSED,CSUM,BACKUP,BBITMAP_CSUM,IBITMAP_CSUM
# so that the two can be compared with diff.  Fields dumpe2fs leaves out
# (flags, checksums and unused inodes without gdt_csum/metadata_csum) are
# what e4ctl shows for them then: -, none, 0.
use strict;
use warnings;

my %g;
my $csum_fs = 0;

sub flush {
	return unless %g;
	my $backup = $g{sb} && $g{gdt} ? 'sb,gdt' : $g{sb} ? 'sb' : $g{gdt} ? 'gdt' : '-';
	print join(' ', $g{n}, $g{start}, $g{end}, $g{flags}, $g{bb}, $g{ib},
		   $g{it}, $g{fb}, $g{fi}, $g{dirs}, $g{unused}, $g{csum}, $backup,
		   $g{bbcsum}, $g{ibcsum}), "\n";
	%g = ();
}

while (<STDIN>) {
	if (/^Group (\d+): \(Blocks (\d+)-(\d+)\)(.*)$/) {
		flush();
		%g = (n => $1, start => $2, end => $3, flags => '-', csum => 'none',
		      unused => 0, sb => 0, gdt => 0,
		      bbcsum => '0x00000000', ibcsum => '0x00000000');
		my $rest = $4;
		if ($rest =~ /csum 0x[0-9a-f]+/) {
			$g{csum} = $rest =~ /EXPECTED/ ? 'bad' : 'ok';
		}
		if ($rest =~ /\[(.*)\]/) {
			($g{flags} = $1) =~ s/, /,/g;
		}
		next;
	}
	next unless %g;
	$g{sb} = 1 if /superblock at/;
	$g{gdt} = 1 if /Group descriptors? at/;
	if (/Block bitmap at (\d+)/) {
		$g{bb} = $1;
		$g{bbcsum} = $1 if /csum (0x[0-9a-f]+)/;
	}
	if (/Inode bitmap at (\d+)/) {
		$g{ib} = $1;
		$g{ibcsum} = $1 if /csum (0x[0-9a-f]+)/;
	}
	$g{it} = $1 if /Inode table at (\d+)/;
	if (/^\s+(\d+) free (?:blocks|clusters), (\d+) free inodes, (\d+) directories(?:, (\d+) unused inodes)?/) {
		$g{fb} = $1;
		$g{fi} = $2;
		$g{dirs} = $3;
		$g{unused} = $4 // 0;
	}
}
flush();
