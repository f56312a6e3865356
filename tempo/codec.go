package tempo

import (
	"fmt"

	"google.golang.org/grpc/mem"
)

// gogoCodec marshals Tempo's gogo-generated messages with their own
// Marshal and Unmarshal methods. gRPC's default codec goes through the
// protobuf-go reflection API, which cannot represent gogo's custom types
// (stdtime fields in SearchRequest).
type gogoCodec struct{}

type gogoMessage interface {
	Marshal() ([]byte, error)
	Unmarshal([]byte) error
}

func (gogoCodec) Marshal(v any) (mem.BufferSlice, error) {
	m, ok := v.(gogoMessage)
	if !ok {
		return nil, fmt.Errorf("gogo codec: %T is not a gogo message", v)
	}
	b, err := m.Marshal()
	if err != nil {
		return nil, err
	}
	return mem.BufferSlice{mem.SliceBuffer(b)}, nil
}

func (gogoCodec) Unmarshal(data mem.BufferSlice, v any) error {
	m, ok := v.(gogoMessage)
	if !ok {
		return fmt.Errorf("gogo codec: %T is not a gogo message", v)
	}
	return m.Unmarshal(data.Materialize())
}

func (gogoCodec) Name() string { return "proto" }
