//! The stored form of a set of raw pages: the pages (each compressed by the caller) framed as
//! `[u32 little-endian length][page]…`, then sealed with the master key. The store does not
//! compress again: compressed pages do not shrink, and compressing before sealing is the only
//! order that compresses at all.

pub(crate) fn aad(set_id: i64) -> String {
    format!("raw_page_sets:{set_id}:pages")
}

pub(crate) fn frame(pages: &[Vec<u8>]) -> std::io::Result<Vec<u8>> {
    let mut out = Vec::with_capacity(pages.iter().map(|p| p.len() + 4).sum());
    for page in pages {
        let len = u32::try_from(page.len()).map_err(|_| {
            std::io::Error::new(
                std::io::ErrorKind::InvalidInput,
                "a page is larger than 4 GiB",
            )
        })?;
        out.extend_from_slice(&len.to_le_bytes());
        out.extend_from_slice(page);
    }
    Ok(out)
}

/// `None` when the bytes are not what [`frame`] wrote for `page_count` pages.
pub(crate) fn unframe(bytes: &[u8], page_count: usize) -> Option<Vec<Vec<u8>>> {
    let mut pages = Vec::with_capacity(page_count.min(10_000));
    let mut rest = bytes;
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn framed_pages_come_back_and_a_short_frame_is_refused() {
        let pages = vec![b"one".to_vec(), Vec::new(), b"three".to_vec()];
        let bytes = frame(&pages).unwrap();
        assert_eq!(unframe(&bytes, 3), Some(pages));
        assert_eq!(unframe(&bytes, 2), None);
        assert_eq!(unframe(&bytes[..bytes.len() - 1], 3), None);
    }
}
