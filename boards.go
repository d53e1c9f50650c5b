package mcusim

import (
	"bytes"
	_ "embed" // boards.toml
	"errors"
	"fmt"
	"io/fs"
	"sync"

	"mcusim/mem"
	"mcusim/models"
)

// boardsTOML is the built-in board database, so that mcusim works on a fresh
// machine with no data files (DESIGN.md "Interfaces people use").
//
//go:embed boards.toml
var boardsTOML []byte

// defaultBoards caches the parse of boardsTOML: the embedded file cannot change
// while the program runs, so it is parsed at most once.
var defaultBoards struct {
	once   sync.Once
	boards []mem.Board
	err    error
}

// DefaultBoards returns the built-in board database, sorted by board ID. The
// embedded boards.toml is parsed once; every call returns a fresh deep copy, so
// callers may modify the result freely.
func DefaultBoards() ([]mem.Board, error) {
	defaultBoards.once.Do(func() {
		defaultBoards.boards, defaultBoards.err = mem.ParseBoards(boardsTOML, "boards.toml")
	})
	if defaultBoards.err != nil {
		return nil, defaultBoards.err
	}
	return cloneBoards(defaultBoards.boards), nil
}

// DefaultBoardsTOML returns a copy of the embedded boards.toml, the starting
// point for a user's own --boards file.
func DefaultBoardsTOML() []byte { return bytes.Clone(boardsTOML) }

// LoadBoards reads a board database in the boards.toml format from path (the
// --boards FILE of the CLI). It replaces the built-in database rather than
// adding to it; copy DefaultBoardsTOML to keep the built-in boards. Errors name
// the file and line.
func LoadBoards(path string) ([]mem.Board, error) {
	data, err := models.ReadFile(path, "board database", mem.MaxBoardsFileBytes, "mem.MaxBoardsFileBytes", nil)
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return nil, err // the operating system's error names the path
	} else if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return mem.ParseBoards(data, path)
}

func cloneBoards(bs []mem.Board) []mem.Board {
	out := make([]mem.Board, len(bs))
	for i := range bs {
		out[i] = bs[i].Clone()
	}
	return out
}
