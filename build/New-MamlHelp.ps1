<#
.SYNOPSIS
    Generates MAML help (PacketCluster.dll-Help.xml) from the module's cmdlet metadata and the C# XML doc comments.
.DESCRIPTION
    The doc comments are the single source: the class <summary> is the synopsis, <remarks> the description,
    each <example> (<code> + <para>) an example, and each parameter property's <summary> its description.
    Defaults are read from a new instance of the cmdlet, wildcard support from [SupportsWildcards], the online link
    from the cmdlet's HelpUri. With -MarkdownPath it also writes one markdown page per cmdlet (platyPS's layout), the
    pages HelpUri points at, and about_PacketCluster.md.
    Runs in its own pwsh process because it imports the built module.
#>
param(
    [Parameter(Mandatory)] [string] $ModulePath,
    [Parameter(Mandatory)] [string] $XmlDocPath,
    [Parameter(Mandatory)] [string] $OutputPath,
    [string] $MarkdownPath
)
$ErrorActionPreference = 'Stop'
Set-StrictMode -Version 3.0

$module = Import-Module $ModulePath -PassThru -Force
$doc = [xml](Get-Content $XmlDocPath -Raw)
$members = @{}
foreach ($m in $doc.doc.members.member) { $members[$m.name] = $m }

function Get-Text([System.Xml.XmlNode] $node) {
    if (-not $node) { return '' }
    # Collapse the indentation the compiler keeps, but keep paragraph breaks.
    (($node.InnerText -split "`n" | ForEach-Object Trim) -join "`n").Trim() -replace "(?<!`n)`n(?!`n)", ' '
}

function Get-Paragraphs([string] $text) { $text -split "`n`n" | Where-Object { $_ } }

$ns = @{
    maml = 'http://schemas.microsoft.com/maml/2004/10'
    command = 'http://schemas.microsoft.com/maml/dev/command/2004/10'
    dev = 'http://schemas.microsoft.com/maml/dev/2004/10'
}
$settings = [System.Xml.XmlWriterSettings]@{ Indent = $true; Encoding = [System.Text.UTF8Encoding]::new($false) }
New-Item -ItemType Directory (Split-Path $OutputPath) -Force | Out-Null
$w = [System.Xml.XmlWriter]::Create($OutputPath, $settings)
if ($MarkdownPath) {
    if (Test-Path $MarkdownPath) { Remove-Item $MarkdownPath -Recurse -Force }
    New-Item -ItemType Directory $MarkdownPath -Force | Out-Null
}

function Write-Paras([string] $text) {
    $w.WriteStartElement('maml', 'description', $ns.maml)
    foreach ($p in (Get-Paragraphs $text)) { $w.WriteElementString('maml', 'para', $ns.maml, $p) }
    $w.WriteEndElement()
}

function Get-ParameterDescription($p) {
    # Inherited parameters (e.g. -StatePath) are documented on the base class that declares them.
    $declaring = $type.GetProperty($p.Name)?.DeclaringType ?? $type
    $doc = $members["P:$($declaring.FullName).$($p.Name)"]
    if ($doc) { Get-Text $doc.SelectSingleNode('summary') }
    elseif ($p.Name -eq 'WhatIf') { 'Shows what would happen if the cmdlet runs. The cmdlet is not run.' }
    elseif ($p.Name -eq 'Confirm') { 'Prompts you for confirmation before running the cmdlet.' }
    else { $script:missing += "$($cmd.Name) -$($p.Name)"; '' }
}

# The value a parameter has when it is not given: what a new instance of the cmdlet holds ("None" when that is
# nothing, or for a switch that is off).
function Get-DefaultValue($p) {
    $property = $type.GetProperty($p.Name)
    if (-not $property -or -not $property.CanRead) { return 'None' }
    $value = $property.GetValue($instance)
    if ($null -eq $value -or $value -is [switch] -or ($value -is [string] -and $value -eq '') -or $value -is [securestring]) { return 'None' }
    if ($value -is [System.Collections.IEnumerable] -and $value -isnot [string]) { $items = @($value); if (-not $items.Count) { return 'None' }; return $items -join ', ' }
    [System.Convert]::ToString($value, [Globalization.CultureInfo]::InvariantCulture)
}

# "True (ByValue, ByPropertyName)" or "False", as MAML and platyPS write it.
function Get-PipelineInput($p) {
    $how = @(if ($p.ValueFromPipeline) { 'ByValue' }; if ($p.ValueFromPipelineByPropertyName) { 'ByPropertyName' }) -join ', '
    if ($how) { "True ($how)" } else { 'False' }
}

function Test-Wildcards($p) { [bool] ($p.Attributes | Where-Object { $_ -is [System.Management.Automation.SupportsWildcardsAttribute] }) }

function Write-Parameter($p, [bool] $full) {
    $description = Get-ParameterDescription $p
    $isSwitch = $p.ParameterType -eq [switch]
    $w.WriteStartElement('command', 'parameter', $ns.command)
    $w.WriteAttributeString('required', "$($p.IsMandatory)".ToLower())
    $w.WriteAttributeString('variableLength', 'true')
    $w.WriteAttributeString('globbing', "$(Test-Wildcards $p)".ToLower())
    $w.WriteAttributeString('pipelineInput', (Get-PipelineInput $p))
    $w.WriteAttributeString('position', $(if ($p.Position -ge 0) { "$($p.Position)" } else { 'named' }))
    $w.WriteAttributeString('aliases', $(if ($p.Aliases.Count) { $p.Aliases -join ', ' } else { 'none' }))
    $w.WriteElementString('maml', 'name', $ns.maml, $p.Name)
    Write-Paras $description
    if (-not $isSwitch) {
        $w.WriteStartElement('command', 'parameterValue', $ns.command)
        $w.WriteAttributeString('required', 'true'); $w.WriteAttributeString('variableLength', 'false')
        $w.WriteString($p.ParameterType.Name); $w.WriteEndElement()
    }
    $w.WriteStartElement('dev', 'type', $ns.dev); $w.WriteElementString('maml', 'name', $ns.maml, $p.ParameterType.FullName); $w.WriteEndElement()
    if ($full) { $w.WriteElementString('dev', 'defaultValue', $ns.dev, (Get-DefaultValue $p)) }
    $w.WriteEndElement()
}

# One page per cmdlet in platyPS's layout (what users of PowerShell docs sites expect); the same text as the MAML.
function Write-Markdown($cmd, $typeDoc, $parameters) {
    $md = [System.Text.StringBuilder]::new()
    $line = { param($text) [void] $md.Append($text).Append("`n") }
    & $line '---'; & $line 'external help file: PacketCluster.dll-Help.xml'; & $line 'Module Name: PacketCluster'
    & $line "online version: $($cmd.HelpUri)"; & $line 'schema: 2.0.0'; & $line '---'; & $line ''
    & $line "# $($cmd.Name)"; & $line ''
    & $line '## SYNOPSIS'; & $line (Get-Text $typeDoc.SelectSingleNode('summary')); & $line ''
    & $line '## SYNTAX'; & $line ''
    foreach ($set in $cmd.ParameterSets) {
        if ($cmd.ParameterSets.Count -gt 1) { & $line "### $($set.Name)$(if ($set.IsDefault) { ' (Default)' })"; & $line '' }
        & $line '```'; & $line "$($cmd.Name) $set"; & $line '```'; & $line ''
    }
    & $line '## DESCRIPTION'
    foreach ($para in Get-Paragraphs (Get-Text $typeDoc.SelectSingleNode('remarks'))) { & $line $para; & $line '' }
    if (-not $typeDoc.SelectSingleNode('remarks')) { & $line (Get-Text $typeDoc.SelectSingleNode('summary')); & $line '' }
    & $line '## EXAMPLES'; & $line ''
    $i = 0
    foreach ($ex in $typeDoc.SelectNodes('example')) {
        $i++
        & $line "### Example $i"; & $line '```powershell'
        & $line (($ex.SelectSingleNode('code').InnerText -split "`n" | ForEach-Object { $_.Trim() } | Where-Object { $_ }) -join "`n")
        & $line '```'; & $line ''
        foreach ($para in $ex.SelectNodes('para')) { & $line (Get-Text $para); & $line '' }
    }
    & $line '## PARAMETERS'; & $line ''
    foreach ($p in $parameters.Values | Sort-Object Name) {
        $sets = @($cmd.ParameterSets | Where-Object { $_.Parameters.Name -contains $p.Name } | ForEach-Object Name)
        & $line "### -$($p.Name)"; & $line (Get-ParameterDescription $p); & $line ''
        & $line '```yaml'
        & $line "Type: $($p.ParameterType.Name)"
        & $line "Parameter Sets: $(if ($sets.Count -eq $cmd.ParameterSets.Count) { '(All)' } else { $sets -join ', ' })"
        & $line ("Aliases: $($p.Aliases -join ', ')".TrimEnd())
        $validate = $p.Attributes | Where-Object { $_ -is [System.Management.Automation.ValidateSetAttribute] }
        if ($validate) { & $line "Accepted values: $($validate.ValidValues -join ', ')" }
        & $line ''
        & $line "Required: $($p.IsMandatory)"
        & $line "Position: $(if ($p.Position -ge 0) { $p.Position } else { 'Named' })"
        & $line "Default value: $(Get-DefaultValue $p)"
        & $line "Accept pipeline input: $(Get-PipelineInput $p)"
        & $line "Accept wildcard characters: $(Test-Wildcards $p)"
        & $line '```'; & $line ''
    }
    & $line '### CommonParameters'
    & $line 'This cmdlet supports the common parameters: -Debug, -ErrorAction, -ErrorVariable, -InformationAction, -InformationVariable, -OutVariable, -OutBuffer, -PipelineVariable, -ProgressAction, -Verbose, -WarningAction, and -WarningVariable. For more information, see [about_CommonParameters](http://go.microsoft.com/fwlink/?LinkID=113216).'
    & $line ''
    & $line '## INPUTS'; & $line ''
    $inputs = @($parameters.Values | Where-Object { $_.ValueFromPipeline -or $_.ValueFromPipelineByPropertyName } | ForEach-Object { $_.ParameterType.FullName } | Sort-Object -Unique)
    foreach ($t in @($inputs) + @(if (-not $inputs) { 'None' })) { & $line "### $t"; & $line '' }
    & $line '## OUTPUTS'; & $line ''
    foreach ($o in $cmd.OutputType) { & $line "### $($o.Name)"; & $line '' }
    & $line '## RELATED LINKS'; & $line ''
    & $line "[Online Version:]($($cmd.HelpUri))"; & $line ''
    & $line '[about_PacketCluster](about_PacketCluster.md)'
    Set-Content -Path (Join-Path $MarkdownPath "$($cmd.Name).md") -Value $md.ToString() -NoNewline
}

$common = [System.Management.Automation.Cmdlet]::CommonParameters
$missing = @()
$w.WriteStartDocument()
$w.WriteStartElement('helpItems', 'http://msh')
$w.WriteAttributeString('schema', 'maml')
foreach ($cmd in (Get-Command -Module $module.Name -CommandType Cmdlet | Sort-Object Name)) {
    $type = $cmd.ImplementingType
    $instance = [Activator]::CreateInstance($type)
    if (-not $cmd.HelpUri) { $missing += "$($cmd.Name): HelpUri" }
    $typeDoc = $members["T:$($type.FullName)"]
    if (-not $typeDoc -or -not $typeDoc.SelectSingleNode('summary') -or -not $typeDoc.SelectNodes('example').Count) { $missing += "$($cmd.Name): class summary or example" }
    $w.WriteStartElement('command', 'command', $ns.command)
    $w.WriteAttributeString('xmlns', 'maml', $null, $ns.maml)
    $w.WriteAttributeString('xmlns', 'dev', $null, $ns.dev)

    $w.WriteStartElement('command', 'details', $ns.command)
    $w.WriteElementString('command', 'name', $ns.command, $cmd.Name)
    $w.WriteElementString('command', 'verb', $ns.command, $cmd.Verb)
    $w.WriteElementString('command', 'noun', $ns.command, $cmd.Noun)
    Write-Paras (Get-Text $typeDoc.SelectSingleNode('summary'))
    $w.WriteEndElement()
    Write-Paras (Get-Text $typeDoc.SelectSingleNode('remarks'))

    $parameters = [ordered]@{}
    $w.WriteStartElement('command', 'syntax', $ns.command)
    foreach ($set in $cmd.ParameterSets) {
        $w.WriteStartElement('command', 'syntaxItem', $ns.command)
        $w.WriteElementString('maml', 'name', $ns.maml, $cmd.Name)
        foreach ($p in $set.Parameters | Where-Object { $_.Name -notin $common }) {
            $parameters[$p.Name] = $p
            Write-Parameter $p $false
        }
        $w.WriteEndElement()
    }
    $w.WriteEndElement()

    $w.WriteStartElement('command', 'parameters', $ns.command)
    foreach ($p in $parameters.Values) { Write-Parameter $p $true }
    $w.WriteEndElement()

    $inputs = $parameters.Values | Where-Object { $_.ValueFromPipeline } | ForEach-Object { $_.ParameterType.FullName } | Sort-Object -Unique
    $w.WriteStartElement('command', 'inputTypes', $ns.command)
    foreach ($t in @($inputs) + @(if (-not $inputs) { 'None' })) {
        $w.WriteStartElement('command', 'inputType', $ns.command)
        $w.WriteStartElement('dev', 'type', $ns.dev); $w.WriteElementString('maml', 'name', $ns.maml, $t); $w.WriteEndElement()
        $w.WriteEndElement()
    }
    $w.WriteEndElement()
    $w.WriteStartElement('command', 'returnValues', $ns.command)
    foreach ($o in $cmd.OutputType) {
        $w.WriteStartElement('command', 'returnValue', $ns.command)
        $w.WriteStartElement('dev', 'type', $ns.dev); $w.WriteElementString('maml', 'name', $ns.maml, $o.Name); $w.WriteEndElement()
        $w.WriteEndElement()
    }
    $w.WriteEndElement()

    $w.WriteStartElement('command', 'examples', $ns.command)
    $i = 0
    foreach ($ex in $typeDoc.SelectNodes('example')) {
        $i++
        $w.WriteStartElement('command', 'example', $ns.command)
        $w.WriteElementString('maml', 'title', $ns.maml, "-------------------------- Example $i --------------------------")
        $code = ($ex.SelectSingleNode('code').InnerText -split "`n" | ForEach-Object { $_.Trim() } | Where-Object { $_ }) -join "`n"
        $w.WriteElementString('dev', 'code', $ns.dev, $code)
        $w.WriteStartElement('dev', 'remarks', $ns.dev)
        foreach ($para in $ex.SelectNodes('para')) { $w.WriteElementString('maml', 'para', $ns.maml, (Get-Text $para)) }
        $w.WriteEndElement()
        $w.WriteEndElement()
    }
    $w.WriteEndElement()

    $w.WriteStartElement('command', 'relatedLinks', $ns.command)
    # First: the online version, which Get-Help -Online opens.
    $w.WriteStartElement('maml', 'navigationLink', $ns.maml)
    $w.WriteElementString('maml', 'linkText', $ns.maml, 'Online Version:')
    $w.WriteElementString('maml', 'uri', $ns.maml, $cmd.HelpUri)
    $w.WriteEndElement()
    $w.WriteStartElement('maml', 'navigationLink', $ns.maml)
    $w.WriteElementString('maml', 'linkText', $ns.maml, 'about_PacketCluster')
    $w.WriteEndElement()
    $w.WriteEndElement()
    $w.WriteEndElement()
    if ($MarkdownPath) { Write-Markdown $cmd $typeDoc $parameters }
}
$w.WriteEndElement()
$w.WriteEndDocument()
$w.Close()
if ($MarkdownPath) {
    $about = Get-Content (Join-Path (Split-Path $ModulePath) 'en-US/about_PacketCluster.help.txt') -Raw
    Set-Content -Path (Join-Path $MarkdownPath 'about_PacketCluster.md') -NoNewline -Value ("# about_PacketCluster`n`n``````text`n" + $about.TrimEnd() + "`n```````n")
}

if ($missing) { throw "Help is incomplete; add doc comments for: $($missing -join '; ')" }
"Help: $OutputPath"
