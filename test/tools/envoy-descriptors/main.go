// Command envoy-descriptors prints, as JSON, the FileDescriptorSet that Envoy's own generated Go
// code (github.com/envoyproxy/go-control-plane/envoy) carries for the ext_proc protocol files this
// project reimplements in extproc/proto/. test/go/extproc-proto.test.ts compares our .proto subset
// with it, field by field, so the subset stays wire-compatible with Envoy.
package main

import (
	"fmt"
	"os"

	corev3 "github.com/envoyproxy/go-control-plane/envoy/config/core/v3"
	extprocfilterv3 "github.com/envoyproxy/go-control-plane/envoy/extensions/filters/http/ext_proc/v3"
	extprocv3 "github.com/envoyproxy/go-control-plane/envoy/service/ext_proc/v3"
	typev3 "github.com/envoyproxy/go-control-plane/envoy/type/v3"
	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/reflect/protodesc"
	"google.golang.org/protobuf/reflect/protoreflect"
	"google.golang.org/protobuf/types/descriptorpb"
)

func main() {
	files := []protoreflect.FileDescriptor{
		extprocv3.File_envoy_service_ext_proc_v3_external_processor_proto,
		extprocfilterv3.File_envoy_extensions_filters_http_ext_proc_v3_processing_mode_proto,
		corev3.File_envoy_config_core_v3_base_proto,
		typev3.File_envoy_type_v3_http_status_proto,
	}
	set := &descriptorpb.FileDescriptorSet{}
	for _, file := range files {
		set.File = append(set.File, protodesc.ToFileDescriptorProto(file))
	}
	// Proto field names (type_name, oneof_index, map_entry), as descriptor.proto spells them.
	out, err := protojson.MarshalOptions{UseProtoNames: true, Multiline: true}.Marshal(set)
	if err != nil {
		fmt.Fprintf(os.Stderr, "envoy-descriptors: %v\n", err)
		os.Exit(1)
	}
	os.Stdout.Write(append(out, '\n'))
}
