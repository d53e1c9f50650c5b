package models

import (
	"fmt"
	"io"
	"os"
)

// HeaderBytes is how much of a file ReadFile shows its header check.
const HeaderBytes = 64

// ReadFile reads a file that a user named (a model, a board database, an input
// tensor) without trusting it: it must be a regular file — a FIFO, /dev/zero or
// a terminal would block or never end — of at most limit bytes, checked before
// reading and again while reading (the file may grow). what names the kind of
// file and limitName the constant that holds the limit, for the error; errors
// other than the operating system's do not name the path (callers add it). header,
// when not nil, sees the first HeaderBytes bytes (fewer for a shorter file)
// before the rest is read, so that a large file of the wrong kind is refused
// at once.
func ReadFile(path, what string, limit int64, limitName string, header func(head []byte) error) ([]byte, error) {
	st, err := os.Stat(path)
	if err != nil {
		return nil, err
	}
	if !st.Mode().IsRegular() {
		return nil, fmt.Errorf("the %s must be a regular file, not %s", what, fileKind(st.Mode()))
	}
	tooBig := func(n int64) error {
		return fmt.Errorf("%d bytes is over mcusim's %s size limit of %d MiB (%s)", n, what, limit>>20, limitName)
	}
	if st.Size() > limit {
		return nil, tooBig(st.Size())
	}
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	r := io.LimitReader(f, limit+1)
	head := make([]byte, HeaderBytes)
	n, err := io.ReadFull(r, head)
	if err != nil && err != io.ErrUnexpectedEOF && err != io.EOF {
		return nil, err
	}
	head = head[:n]
	if header != nil {
		if err := header(head); err != nil {
			return nil, err
		}
	}
	rest, err := io.ReadAll(r)
	if err != nil {
		return nil, err
	}
	data := append(head, rest...)
	if int64(len(data)) > limit {
		return nil, tooBig(int64(len(data)))
	}
	return data, nil
}

// fileKind names a non-regular file mode for ReadFile's error.
func fileKind(m os.FileMode) string {
	switch {
	case m.IsDir():
		return "a directory"
	case m&os.ModeNamedPipe != 0:
		return "a named pipe"
	case m&os.ModeCharDevice != 0:
		return "a character device"
	case m&os.ModeDevice != 0:
		return "a device"
	case m&os.ModeSocket != 0:
		return "a socket"
	}
	return "mode " + m.String()
}
