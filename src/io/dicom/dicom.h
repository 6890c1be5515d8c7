// Internal to the DICOM reader and its fuzz target.
#pragma once

namespace vox::io {

/// When false, pixel data that only GDCM's codecs decode (JPEG, JPEG-LS, JPEG 2000) is refused
/// with a FormatError instead of decoded. For the fuzz target only: Debian builds GDCM with
/// assertions, and its codecs abort on corrupt compressed streams (e.g. any libjpeg warning in
/// JPEGBITSCodec::GetHeaderInfo), which no check of ours can prevent. Default: true.
void set_dicom_codecs_enabled(bool enabled);

}  // namespace vox::io
