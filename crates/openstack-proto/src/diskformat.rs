//! Glance's `disk_format` for image data, from its first bytes (the magic numbers `qemu-img
//! info` looks at). The caller reads the head of the file (at most [`SNIFF_LEN`] bytes) and
//! passes it in; one sniffer for the CLI and the portal.

/// ISO 9660 puts its first volume descriptor at sector 16 (byte 32768): a type byte, then
/// `CD001`. UDF-bridge images repeat the marker in the next sectors, so three places count.
const ISO_OFFSETS: [usize; 3] = [0x8001, 0x8801, 0x9001];
const ISO_MARKER: &[u8] = b"CD001";

/// How many leading bytes [`sniff`] looks at: enough for the last ISO marker.
pub const SNIFF_LEN: usize = 0x9001 + ISO_MARKER.len();

named_enum! {
    /// A disk format that can be told from the data's first bytes.
    pub enum DiskFormat {
        /// QEMU copy-on-write v2/v3 (`QFI\xfb`).
        Qcow2 = "qcow2",
        /// VMware: a sparse extent (`KDMV`), an ESX COW disk (`COWD`) or a text descriptor
        /// (`# Disk DescriptorFile`).
        Vmdk = "vmdk",
        /// Hyper-V VHDX (`vhdxfile`).
        Vhdx = "vhdx",
        /// Virtual PC VHD: a dynamic VHD starts with a copy of its footer (`conectix`).
        Vhd = "vhd",
        /// VirtualBox: a text banner, then the signature `0xbeda107f` (little-endian) at 64.
        Vdi = "vdi",
        /// ISO 9660 (`CD001` at 0x8001, 0x8801 or 0x9001).
        Iso = "iso",
        /// None of the above: plain bytes.
        Raw = "raw",
    }

    /// Glance's name for it.
    pub fn as_str;
}

/// Every `disk_format` Glance accepts (its default `disk_formats` option), for a form's choice.
pub const GLANCE_DISK_FORMATS: &[&str] = &[
    "raw", "qcow2", "vmdk", "vhd", "vhdx", "vdi", "iso", "ploop", "aki", "ari", "ami",
];

/// The format of data starting with `head`; [`DiskFormat::Raw`] when no magic matches,
/// including when `head` is too short to hold one. Pass the first [`SNIFF_LEN`] bytes (or the
/// whole file when it is shorter): a shorter head cannot show an ISO.
pub fn sniff(head: &[u8]) -> DiskFormat {
    let at = |offset: usize, magic: &[u8]| {
        head.get(offset..offset + magic.len())
            .is_some_and(|bytes| bytes == magic)
    };
    if at(0, b"QFI\xfb") {
        DiskFormat::Qcow2
    } else if at(0, b"KDMV") || at(0, b"COWD") || at(0, b"# Disk DescriptorFile") {
        DiskFormat::Vmdk
    } else if at(0, b"vhdxfile") {
        DiskFormat::Vhdx
    } else if at(0, b"conectix") {
        DiskFormat::Vhd
    } else if at(64, &0xbeda_107f_u32.to_le_bytes()) {
        DiskFormat::Vdi
    } else if ISO_OFFSETS.iter().any(|&offset| at(offset, ISO_MARKER)) {
        DiskFormat::Iso
    } else {
        DiskFormat::Raw
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn with(offset: usize, magic: &[u8]) -> Vec<u8> {
        let mut bytes = vec![0u8; SNIFF_LEN];
        bytes[offset..offset + magic.len()].copy_from_slice(magic);
        bytes
    }

    #[test]
    fn each_magic_names_its_format() {
        let cases: &[(usize, &[u8], DiskFormat)] = &[
            (0, b"QFI\xfb\0\0\0\x03", DiskFormat::Qcow2),
            (0, b"KDMV", DiskFormat::Vmdk),
            (0, b"COWD", DiskFormat::Vmdk),
            (0, b"# Disk DescriptorFile\nversion=1", DiskFormat::Vmdk),
            (0, b"vhdxfile", DiskFormat::Vhdx),
            (0, b"conectix", DiskFormat::Vhd),
            (64, &[0x7f, 0x10, 0xda, 0xbe], DiskFormat::Vdi),
            (0x8001, b"CD001", DiskFormat::Iso),
            (0x8801, b"CD001", DiskFormat::Iso),
            (0x9001, b"CD001", DiskFormat::Iso),
        ];
        for &(offset, magic, format) in cases {
            assert_eq!(sniff(&with(offset, magic)), format, "{magic:?} at {offset}");
        }
        // The VirtualBox banner before the signature does not hide it.
        let mut vdi = with(64, &[0x7f, 0x10, 0xda, 0xbe]);
        vdi[..4].copy_from_slice(b"<<< ");
        assert_eq!(sniff(&vdi), DiskFormat::Vdi);
        // A text descriptor is a small file on its own: no padding needed.
        assert_eq!(sniff(b"# Disk DescriptorFile\n"), DiskFormat::Vmdk);
    }

    #[test]
    fn markers_count_only_at_their_offset() {
        assert_eq!(sniff(&with(1, b"QFI\xfb")), DiskFormat::Raw);
        assert_eq!(sniff(&with(0x8000, b"CD001")), DiskFormat::Raw);
        assert_eq!(sniff(&with(0x8002, b"CD001")), DiskFormat::Raw);
        assert_eq!(sniff(&with(65, &[0x7f, 0x10, 0xda, 0xbe])), DiskFormat::Raw);
        // The signature reversed (big-endian) is not VirtualBox's.
        assert_eq!(sniff(&with(64, &[0xbe, 0xda, 0x10, 0x7f])), DiskFormat::Raw);
    }

    #[test]
    fn short_and_unknown_data_is_raw() {
        assert_eq!(sniff(b""), DiskFormat::Raw);
        assert_eq!(sniff(b"QFI"), DiskFormat::Raw);
        assert_eq!(sniff(b"\x7fELF"), DiskFormat::Raw);
        assert_eq!(sniff(&with(0, b"\xebc\x90")), DiskFormat::Raw);
        // A file too short to reach sector 16 holds no ISO marker, wherever CD001 is.
        assert_eq!(sniff(b"CD001"), DiskFormat::Raw);
        let cut = with(0x8001, b"CD001");
        assert_eq!(sniff(&cut[..0x8004]), DiskFormat::Raw);
        assert_eq!(sniff(&cut[..0x8006]), DiskFormat::Iso);
    }

    #[test]
    fn names_are_glances() {
        for format in [
            DiskFormat::Qcow2,
            DiskFormat::Vmdk,
            DiskFormat::Vhdx,
            DiskFormat::Vhd,
            DiskFormat::Vdi,
            DiskFormat::Iso,
            DiskFormat::Raw,
        ] {
            assert!(GLANCE_DISK_FORMATS.contains(&format.as_str()), "{format}");
        }
    }
}
