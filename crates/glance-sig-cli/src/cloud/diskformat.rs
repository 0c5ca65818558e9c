//! The disk format of an image file, from its first bytes (what `qemu-img info` looks at).

use std::fs::File;
use std::io::Read;
use std::path::Path;

/// An ISO 9660 volume descriptor starts at sector 16 (byte 32768) with a type byte, then
/// `CD001`; UDF-bridge images repeat it in the next sectors.
const ISO_OFFSETS: [usize; 3] = [0x8001, 0x8801, 0x9001];
/// Enough bytes for every signature looked at.
const PROBE: usize = 0x9001 + 5;

/// Glance's `disk_format` for the file: qcow2, vmdk, vhdx, vhd, vdi, iso, else raw.
///
/// # Errors
/// When the file cannot be opened or read.
pub fn detect(path: &Path) -> std::io::Result<&'static str> {
    let mut head = Vec::with_capacity(PROBE);
    File::open(path)?
        .take(PROBE as u64)
        .read_to_end(&mut head)?;
    Ok(from_bytes(&head))
}

/// As [`detect`], from the file's first bytes.
pub fn from_bytes(head: &[u8]) -> &'static str {
    let at = |offset: usize, magic: &[u8]| {
        head.get(offset..offset + magic.len())
            .is_some_and(|bytes| bytes == magic)
    };
    if at(0, b"QFI\xfb") {
        "qcow2"
    } else if at(0, b"KDMV") || at(0, b"COWD") || at(0, b"# Disk DescriptorFile") {
        "vmdk"
    } else if at(0, b"vhdxfile") {
        "vhdx"
    } else if at(0, b"conectix") {
        // A dynamic VHD starts with a copy of its footer.
        "vhd"
    } else if at(64, &0xbeda_107f_u32.to_le_bytes()) {
        // VirtualBox: a text banner, then this signature at offset 64.
        "vdi"
    } else if ISO_OFFSETS.iter().any(|&offset| at(offset, b"CD001")) {
        "iso"
    } else {
        "raw"
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn with(offset: usize, magic: &[u8]) -> Vec<u8> {
        let mut bytes = vec![0u8; PROBE];
        bytes[offset..offset + magic.len()].copy_from_slice(magic);
        bytes
    }

    #[test]
    fn formats_by_magic() {
        assert_eq!(from_bytes(&with(0, b"QFI\xfb\0\0\0\x03")), "qcow2");
        assert_eq!(from_bytes(&with(0, b"KDMV")), "vmdk");
        assert_eq!(from_bytes(&with(0, b"# Disk DescriptorFile\n")), "vmdk");
        assert_eq!(from_bytes(&with(0, b"vhdxfile")), "vhdx");
        assert_eq!(from_bytes(&with(0, b"conectix")), "vhd");
        let mut vdi = with(64, &[0x7f, 0x10, 0xda, 0xbe]);
        vdi[..4].copy_from_slice(b"<<< ");
        assert_eq!(from_bytes(&vdi), "vdi");
        assert_eq!(from_bytes(&with(0x8001, b"CD001")), "iso");
        assert_eq!(from_bytes(&with(0x9001, b"CD001")), "iso");
        assert_eq!(from_bytes(&with(0, b"\xebc\x90")), "raw");
        assert_eq!(from_bytes(b""), "raw");
        assert_eq!(from_bytes(b"QFI"), "raw");
    }
}
