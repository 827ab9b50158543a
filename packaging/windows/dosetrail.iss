; Inno Setup script: installer for the Windows one-folder build of DoseTrail.
;
; Build on Windows after PyInstaller (from the repository root):
;   pyinstaller --noconfirm --clean packaging\dosetrail.spec
;   iscc /DAppVersion=0.1.0 packaging\windows\dosetrail.iss
; Output: dist\installer\DoseTrail-<version>-setup.exe
;
; Per-user install by default (no administrator rights needed on hospital
; PCs); "Install for all users" is offered when run elevated.

#ifndef AppVersion
  #define AppVersion "0.1.0"
#endif
#define AppName "DoseTrail"
#define SourceDir "..\..\dist\dosetrail"

[Setup]
AppId={{5E0B1C7A-6A0E-4C4B-9E55-3D7C0F1A2B91}
AppName={#AppName}
AppVersion={#AppVersion}
AppVerName={#AppName} {#AppVersion}
AppPublisher=DoseTrail
DefaultDirName={autopf}\{#AppName}
DefaultGroupName={#AppName}
DisableProgramGroupPage=yes
PrivilegesRequired=lowest
PrivilegesRequiredOverridesAllowed=dialog
ArchitecturesAllowed=x64compatible
ArchitecturesInstallIn64BitMode=x64compatible
OutputDir=..\..\dist\installer
OutputBaseFilename=DoseTrail-{#AppVersion}-setup
SetupIconFile=..\icons\dosetrail.ico
UninstallDisplayIcon={app}\dosetrail-gui.exe
Compression=lzma2/max
SolidCompression=yes
WizardStyle=modern
ChangesEnvironment=yes

[Languages]
Name: "english"; MessagesFile: "compiler:Default.isl"
Name: "spanish"; MessagesFile: "compiler:Languages\Spanish.isl"

[Tasks]
Name: "desktopicon"; Description: "{cm:CreateDesktopIcon}"; GroupDescription: "{cm:AdditionalIcons}"; Flags: unchecked
Name: "addtopath"; Description: "Add the dosetrail command to PATH (for scripts)"; Flags: unchecked

[Files]
Source: "{#SourceDir}\*"; DestDir: "{app}"; Flags: ignoreversion recursesubdirs createallsubdirs

[Icons]
Name: "{group}\{#AppName}"; Filename: "{app}\dosetrail-gui.exe"
Name: "{group}\{#AppName} (demo library)"; Filename: "{app}\dosetrail-gui.exe"; Parameters: "gui --demo"
Name: "{group}\{cm:UninstallProgram,{#AppName}}"; Filename: "{uninstallexe}"
Name: "{autodesktop}\{#AppName}"; Filename: "{app}\dosetrail-gui.exe"; Tasks: desktopicon

[Registry]
; user PATH (per-user install) so radiographers can script `dosetrail import ...`
Root: HKCU; Subkey: "Environment"; ValueType: expandsz; ValueName: "Path"; \
  ValueData: "{olddata};{app}"; Tasks: addtopath; Check: NeedsAddPath(ExpandConstant('{app}'))

[Run]
Filename: "{app}\dosetrail-gui.exe"; Description: "{cm:LaunchProgram,{#AppName}}"; Flags: nowait postinstall skipifsilent

[Code]
function NeedsAddPath(Dir: string): Boolean;
var
  Current: string;
begin
  if not RegQueryStringValue(HKEY_CURRENT_USER, 'Environment', 'Path', Current) then
  begin
    Result := True;
    exit;
  end;
  Result := Pos(';' + Uppercase(Dir) + ';', ';' + Uppercase(Current) + ';') = 0;
end;
