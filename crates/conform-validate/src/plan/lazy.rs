//! Parts of the plans read from the cache only when first used.
//!
//! A warm start reads the whole plan cache, but one run uses a small part
//! of it: the R4 core package alone compiles some 600 profiles (most of
//! them extension definitions), and a folder of payloads touches a few
//! dozen. A [`Lazy`] part stays in its serialized form until asked for,
//! so a one-pass run stops paying for the rest.

use serde::de::{DeserializeOwned, Visitor};
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use std::sync::{Arc, OnceLock};

pub struct Lazy<T> {
    /// The postcard encoding of the value, as read from the cache; empty
    /// for a value built in this process.
    bytes: Encoded,
    value: OnceLock<T>,
}

/// Where a [`Lazy`] part's encoding is: in the cache file as read
/// ([`read_from`]), which all the parts share, so a warm start copies
/// none of them; or a copy of its own.
enum Encoded {
    Own(Box<[u8]>),
    InFile {
        file: Arc<CacheFile>,
        range: std::ops::Range<usize>,
    },
}

/// The plan cache's bytes: mapped from the file, so a warm start faults in
/// only the pages it reads (the checksum's pass aside) rather than copying
/// them all into memory of its own; or read into memory where a file
/// cannot be mapped.
pub enum CacheFile {
    /// The cache is written to a file of its own and renamed into place,
    /// never changed where it lies, so the mapped bytes stay as they were.
    Mapped(memmap2::Mmap),
    Read(Vec<u8>),
}

impl std::ops::Deref for CacheFile {
    type Target = [u8];
    fn deref(&self) -> &[u8] {
        match self {
            CacheFile::Mapped(map) => map,
            CacheFile::Read(bytes) => bytes,
        }
    }
}

impl Encoded {
    fn bytes(&self) -> &[u8] {
        match self {
            Encoded::Own(b) => b,
            Encoded::InFile { file, range } => &file[range.clone()],
        }
    }
}

thread_local! {
    /// The cache file being decoded on this thread ([`read_from`]).
    static FILE: std::cell::RefCell<Option<Arc<CacheFile>>> = const { std::cell::RefCell::new(None) };
}

/// Decodes `decode` from `file[range]` (the plan cache's contents, or a
/// part of them), the parts of it that stay encoded pointing into `file`
/// rather than copied out of it: thousands of parts, most never decoded.
pub fn read_from<R>(
    file: Arc<CacheFile>,
    range: std::ops::Range<usize>,
    decode: impl FnOnce(&[u8]) -> R,
) -> R {
    struct Restore(Option<Arc<CacheFile>>);
    impl Drop for Restore {
        fn drop(&mut self) {
            FILE.with(|f| *f.borrow_mut() = self.0.take());
        }
    }
    let _restore = Restore(FILE.with(|f| f.borrow_mut().replace(file.clone())));
    decode(&file[range])
}

/// `bytes` as a part's encoding: a place in the file being read when they
/// lie in it, else a copy.
fn encoded(bytes: &[u8]) -> Encoded {
    FILE.with(|f| {
        let f = f.borrow();
        let file = f.as_ref()?;
        let start = (bytes.as_ptr() as usize).checked_sub(file.as_ptr() as usize)?;
        let range = start..start + bytes.len();
        (range.end <= file.len()).then(|| Encoded::InFile {
            file: file.clone(),
            range,
        })
    })
    .unwrap_or_else(|| Encoded::Own(bytes.into()))
}

impl<T: DeserializeOwned> Lazy<T> {
    /// A value already built (by the compiler).
    pub fn new(value: T) -> Lazy<T> {
        Lazy {
            bytes: Encoded::Own(Box::default()),
            value: OnceLock::from(value),
        }
    }

    /// The value, decoded on first use by whichever thread asks first.
    #[inline]
    pub fn get(&self) -> &T {
        self.value.get_or_init(|| {
            // The bytes were written by this build's own serializer and the
            // cache file's checksum was verified when it was read
            // (`cache::load`), so they decode unless this code has a bug.
            let decode = |bytes: &[u8]| {
                postcard::from_bytes(bytes)
                    .expect("a plan cache part written by this build decodes")
            };
            match &self.bytes {
                // its own parts, too, stay in the file
                Encoded::InFile { file, range } => read_from(file.clone(), range.clone(), decode),
                Encoded::Own(bytes) => decode(bytes),
            }
        })
    }

    /// The value, to change (decoded first if need be).
    pub fn get_mut(&mut self) -> &mut T {
        self.get();
        self.value.get_mut().expect("decoded just above")
    }
}

impl<T: Default + DeserializeOwned> Default for Lazy<T> {
    fn default() -> Self {
        Lazy::new(T::default())
    }
}

impl<T: DeserializeOwned + std::fmt::Debug> std::fmt::Debug for Lazy<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.value.get() {
            Some(v) => v.fmt(f),
            None => write!(f, "<{} bytes, not decoded>", self.bytes.bytes().len()),
        }
    }
}

impl<T: Serialize + DeserializeOwned> Serialize for Lazy<T> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self.value.get() {
            Some(v) => {
                let bytes = postcard::to_stdvec(v).map_err(serde::ser::Error::custom)?;
                s.serialize_bytes(&bytes)
            }
            None => s.serialize_bytes(self.bytes.bytes()),
        }
    }
}

impl<'de, T> Deserialize<'de> for Lazy<T> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct Bytes;
        impl Visitor<'_> for Bytes {
            type Value = Encoded;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("bytes")
            }
            fn visit_bytes<E>(self, v: &[u8]) -> Result<Self::Value, E> {
                Ok(encoded(v))
            }
            fn visit_byte_buf<E>(self, v: Vec<u8>) -> Result<Self::Value, E> {
                Ok(Encoded::Own(v.into_boxed_slice()))
            }
        }
        Ok(Lazy {
            bytes: d.deserialize_bytes(Bytes)?,
            value: OnceLock::new(),
        })
    }
}

/// A list whose items are each decoded on first use: a run asks for the
/// few types and profiles its payloads use, by index.
pub struct LazyList<T>(Vec<Lazy<T>>);

impl<T: DeserializeOwned + std::fmt::Debug> std::fmt::Debug for LazyList<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_list().entries(&self.0).finish()
    }
}

impl<T> Default for LazyList<T> {
    fn default() -> Self {
        LazyList(Vec::new())
    }
}

impl<T: DeserializeOwned> LazyList<T> {
    pub fn len(&self) -> usize {
        self.0.len()
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    pub fn get(&self, i: usize) -> Option<&T> {
        self.0.get(i).map(Lazy::get)
    }

    pub fn push(&mut self, value: T) {
        self.0.push(Lazy::new(value));
    }

    /// Every item, each decoded as it is reached.
    pub fn iter(&self) -> impl Iterator<Item = &T> {
        self.0.iter().map(Lazy::get)
    }
}

impl<T: DeserializeOwned> From<Vec<T>> for LazyList<T> {
    fn from(items: Vec<T>) -> Self {
        LazyList(items.into_iter().map(Lazy::new).collect())
    }
}

impl<T: DeserializeOwned> std::ops::Index<usize> for LazyList<T> {
    type Output = T;
    fn index(&self, i: usize) -> &T {
        self.0[i].get()
    }
}

impl<T: DeserializeOwned> std::ops::IndexMut<usize> for LazyList<T> {
    fn index_mut(&mut self, i: usize) -> &mut T {
        self.0[i].get_mut()
    }
}

impl<T: Serialize + DeserializeOwned> Serialize for LazyList<T> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        self.0.serialize(s)
    }
}

impl<'de, T> Deserialize<'de> for LazyList<T> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        Vec::<Lazy<T>>::deserialize(d).map(LazyList)
    }
}

#[cfg(test)]
mod tests {
    use super::Lazy;

    #[test]
    fn a_value_survives_the_round_trip_and_decodes_on_first_use() {
        let built = Lazy::new(vec!["a".to_string(), "bc".to_string()]);
        let bytes = postcard::to_stdvec(&built).expect("encode");
        let read: Lazy<Vec<String>> = postcard::from_bytes(&bytes).expect("decode");
        assert!(read.value.get().is_none(), "not decoded before use");
        assert_eq!(read.get(), &["a", "bc"]);
        // written again without being decoded: the same bytes
        let read_again: Lazy<Vec<String>> = postcard::from_bytes(&bytes).expect("decode");
        assert_eq!(postcard::to_stdvec(&read_again).expect("encode"), bytes);
    }

    /// Parts read from a cache file point into it, and so do the parts of
    /// a part when it is decoded; read from elsewhere, they are copies.
    /// The file's bytes are mapped, or read where mapping fails.
    #[test]
    fn parts_read_from_a_file_stay_in_it() {
        use super::{CacheFile, LazyList};
        use std::sync::Arc;
        let built = Lazy::new(LazyList::from(vec!["a".to_string(), "bc".into()]));
        let mut bytes = vec![9, 9, 9];
        bytes.extend(postcard::to_stdvec(&built).expect("encode"));
        let dir = tempfile::tempdir().expect("a folder");
        let path = dir.path().join("plans.bin");
        std::fs::write(&path, &bytes).expect("write");
        let mapped = crate::plan::cache::open(&path).expect("open");
        assert!(matches!(mapped, CacheFile::Mapped(_)));
        for file in [mapped, CacheFile::Read(bytes)] {
            parts_stay_in(Arc::new(file));
        }
    }

    fn parts_stay_in(file: std::sync::Arc<super::CacheFile>) {
        use super::{read_from, Encoded, LazyList};
        use std::sync::Arc;
        let read: Lazy<LazyList<String>> =
            read_from(file.clone(), 3..file.len(), |b| postcard::from_bytes(b)).expect("decode");
        let in_file =
            |e: &Encoded| matches!(e, Encoded::InFile { file: f, .. } if Arc::ptr_eq(f, &file));
        assert!(in_file(&read.bytes));
        let list = read.get();
        assert!(
            list.0.iter().all(|item| in_file(&item.bytes)),
            "the items too"
        );
        assert_eq!(list.iter().collect::<Vec<_>>(), ["a", "bc"]);
        // written again: the same bytes
        assert_eq!(
            postcard::to_stdvec(&list.0[1]).expect("encode"),
            postcard::to_stdvec(&Lazy::new("bc".to_string())).expect("encode")
        );

        let copied: Lazy<LazyList<String>> = postcard::from_bytes(&file[3..]).expect("decode");
        assert!(matches!(copied.bytes, Encoded::Own(_)));
        assert_eq!(copied.get().iter().collect::<Vec<_>>(), ["a", "bc"]);
    }

    #[test]
    fn a_list_decodes_only_the_items_asked_for() {
        let built = super::LazyList::from(vec!["a".to_string(), "b".into(), "c".into()]);
        let bytes = postcard::to_stdvec(&built).expect("encode");
        let mut read: super::LazyList<String> = postcard::from_bytes(&bytes).expect("decode");
        assert_eq!(read[1], "b");
        let decoded: Vec<bool> = read.0.iter().map(|l| l.value.get().is_some()).collect();
        assert_eq!(decoded, [false, true, false]);
        read[2].push('!');
        assert_eq!(read.iter().collect::<Vec<_>>(), ["a", "b", "c!"]);
        assert_eq!((read.len(), read.get(3)), (3, None));
    }
}
