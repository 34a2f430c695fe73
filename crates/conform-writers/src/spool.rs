//! Where a streamed writer keeps what it can only write later than it
//! learns it: JUnit's test cases until their suite's counts are known (the
//! counts sit in the start tag), SARIF's results until every rule has been
//! seen (each result names its rule by its place in the sorted rule list).
//! Kept in memory up to a limit, then in an anonymous temporary file, so a
//! streamed run's memory stays flat however large its report.

use std::fs::File;
use std::io::{self, BufRead, BufReader, BufWriter, Cursor, Seek, SeekFrom, Write};

/// How much a streamed writer's spool holds in memory before it moves to a
/// temporary file: small reports never touch the disk.
pub(crate) const SPOOL_MEMORY: usize = 4 << 20;

pub(crate) struct Spool {
    memory: Vec<u8>,
    /// Once `memory` would grow past `limit`: the temporary file (deleted
    /// by the system when closed) that holds everything instead.
    file: Option<BufWriter<File>>,
    limit: usize,
}

impl Spool {
    /// A spool that moves to a temporary file past `limit` bytes.
    pub(crate) fn new(limit: usize) -> Spool {
        Spool {
            memory: Vec::new(),
            file: None,
            limit,
        }
    }

    /// A spool that stays in memory, for a report rendered whole (already
    /// in memory): writing to it never fails.
    pub(crate) fn in_memory() -> Spool {
        Spool::new(usize::MAX)
    }

    /// Everything written so far, from the start, to `read`; the spool is
    /// empty afterwards, ready to be written again.
    pub(crate) fn drain<T>(
        &mut self,
        read: impl FnOnce(&mut dyn BufRead) -> io::Result<T>,
    ) -> io::Result<T> {
        match &mut self.file {
            None => {
                let result = read(&mut Cursor::new(&self.memory[..]));
                self.memory.clear();
                result
            }
            Some(file) => {
                file.flush()?;
                let file = file.get_mut();
                file.seek(SeekFrom::Start(0))?;
                let result = read(&mut BufReader::new(&mut *file));
                file.seek(SeekFrom::Start(0))?;
                file.set_len(0)?;
                result
            }
        }
    }
}

impl Write for Spool {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        if self.file.is_none() && self.memory.len() + buf.len() > self.limit {
            let mut file = BufWriter::new(tempfile::tempfile()?);
            file.write_all(&self.memory)?;
            // Give the memory back: the file holds it now.
            self.memory = Vec::new();
            self.file = Some(file);
        }
        match &mut self.file {
            Some(file) => file.write(buf),
            None => self.memory.write(buf),
        }
    }

    fn flush(&mut self) -> io::Result<()> {
        match &mut self.file {
            Some(file) => file.flush(),
            None => Ok(()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read_all(spool: &mut Spool) -> Vec<u8> {
        spool
            .drain(|r| {
                let mut bytes = Vec::new();
                r.read_to_end(&mut bytes)?;
                Ok(bytes)
            })
            .unwrap()
    }

    #[test]
    fn moves_to_a_file_past_its_limit_and_drains_in_order_either_way() {
        let mut spool = Spool::new(8);
        spool.write_all(b"12345").unwrap();
        assert!(spool.file.is_none());
        spool.write_all(b"6789").unwrap();
        assert!(spool.file.is_some(), "past 8 bytes it is a file");
        assert!(spool.memory.is_empty());
        spool.write_all(b"0").unwrap();
        assert_eq!(read_all(&mut spool), b"1234567890");
        // Drained, it is empty and takes more.
        spool.write_all(b"ab").unwrap();
        assert_eq!(read_all(&mut spool), b"ab");
        assert_eq!(read_all(&mut spool), b"");

        let mut memory = Spool::in_memory();
        memory.write_all(b"xyz").unwrap();
        assert_eq!(read_all(&mut memory), b"xyz");
        assert!(memory.file.is_none());
    }
}
