<#
.SYNOPSIS
    Generates MAML help (PacketCluster.dll-Help.xml) from the module's cmdlet metadata and the C# XML doc comments.
.DESCRIPTION
    The doc comments are the single source: the class <summary> is the synopsis, <remarks> the description,
    each <example> (<code> + <para>) an example, and each parameter property's <summary> its description.
    Runs in its own pwsh process because it imports the built module.
#>
param(
    [Parameter(Mandatory)] [string] $ModulePath,
    [Parameter(Mandatory)] [string] $XmlDocPath,
    [Parameter(Mandatory)] [string] $OutputPath
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

function Write-Paras([string] $text) {
    $w.WriteStartElement('maml', 'description', $ns.maml)
    foreach ($p in (Get-Paragraphs $text)) { $w.WriteElementString('maml', 'para', $ns.maml, $p) }
    $w.WriteEndElement()
}

function Write-Parameter($p, [bool] $full) {
    # Inherited parameters (e.g. -StatePath) are documented on the base class that declares them.
    $declaring = $type.GetProperty($p.Name)?.DeclaringType ?? $type
    $doc = $members["P:$($declaring.FullName).$($p.Name)"]
    $description = if ($doc) { Get-Text $doc.SelectSingleNode('summary') }
    elseif ($p.Name -eq 'WhatIf') { 'Shows what would happen if the cmdlet runs. The cmdlet is not run.' }
    elseif ($p.Name -eq 'Confirm') { 'Prompts you for confirmation before running the cmdlet.' }
    else { $script:missing += "$($cmd.Name) -$($p.Name)"; '' }
    $isSwitch = $p.ParameterType -eq [switch]
    $pipeline = @(if ($p.ValueFromPipeline) { 'ByValue' }; if ($p.ValueFromPipelineByPropertyName) { 'ByPropertyName' }) -join ', '
    $w.WriteStartElement('command', 'parameter', $ns.command)
    $w.WriteAttributeString('required', "$($p.IsMandatory)".ToLower())
    $w.WriteAttributeString('variableLength', 'true')
    $w.WriteAttributeString('globbing', 'false')
    $w.WriteAttributeString('pipelineInput', $(if ($pipeline) { "True ($pipeline)" } else { 'False' }))
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
    if ($full) { $w.WriteElementString('dev', 'defaultValue', $ns.dev, 'None') }
    $w.WriteEndElement()
}

$common = [System.Management.Automation.Cmdlet]::CommonParameters
$missing = @()
$w.WriteStartDocument()
$w.WriteStartElement('helpItems', 'http://msh')
$w.WriteAttributeString('schema', 'maml')
foreach ($cmd in (Get-Command -Module $module.Name -CommandType Cmdlet | Sort-Object Name)) {
    $type = $cmd.ImplementingType
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
    $w.WriteStartElement('maml', 'navigationLink', $ns.maml)
    $w.WriteElementString('maml', 'linkText', $ns.maml, 'about_PacketCluster')
    $w.WriteEndElement()
    $w.WriteEndElement()
    $w.WriteEndElement()
}
$w.WriteEndElement()
$w.WriteEndDocument()
$w.Close()

if ($missing) { throw "Help is incomplete; add doc comments for: $($missing -join '; ')" }
"Help: $OutputPath"
