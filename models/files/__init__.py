"""Files in and out: uploads, exports, batch recording (local and Ray), JSON reading."""
