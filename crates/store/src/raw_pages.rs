//! The compressed form of a sync's raw pages: gzip over `[u32 little-endian length][page]…`.

use std::io::{Read, Write};

use flate2::Compression;
use flate2::read::GzDecoder;
use flate2::write::GzEncoder;

pub(crate) fn compress(pages: &[Vec<u8>]) -> std::io::Result<(Vec<u8>, u64)> {
    let mut encoder = GzEncoder::new(Vec::new(), Compression::fast());
    let mut raw = 0u64;
    for page in pages {
        let len = u32::try_from(page.len()).map_err(|_| {
            std::io::Error::new(
                std::io::ErrorKind::InvalidInput,
                "a page is larger than 4 GiB",
            )
        })?;
        encoder.write_all(&len.to_le_bytes())?;
        encoder.write_all(page)?;
        raw += 4 + page.len() as u64;
    }
    Ok((encoder.finish()?, raw))
}

/// `None` when the blob is not what [`compress`] wrote.
pub(crate) fn decompress(blob: &[u8], page_count: usize) -> Option<Vec<Vec<u8>>> {
    let mut bytes = Vec::new();
    GzDecoder::new(blob).read_to_end(&mut bytes).ok()?;
    let mut pages = Vec::with_capacity(page_count.min(10_000));
    let mut rest = bytes.as_slice();
    while !rest.is_empty() {
        let (len, tail) = rest.split_first_chunk::<4>()?;
        let len = usize::try_from(u32::from_le_bytes(*len)).ok()?;
        if tail.len() < len {
            return None;
        }
        let (page, tail) = tail.split_at(len);
        pages.push(page.to_vec());
        rest = tail;
    }
    (pages.len() == page_count).then_some(pages)
}
